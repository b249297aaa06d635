// Package view defines the JSON shapes of the detection API and of event
// data, and converts store rows into them. The API and the event stream use
// the same shapes, so a watcher can merge both.
package view
