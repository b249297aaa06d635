package twiml_test

import (
	"encoding/xml"
	"strings"
	"testing"
)

// node is a generic parsed TwiML element.
type node struct {
	XMLName  xml.Name
	Attrs    []xml.Attr `xml:",any,attr"`
	Text     string     `xml:",chardata"`
	Children []node     `xml:",any"`
}

func (n node) Name() string { return n.XMLName.Local }

func (n node) Attr(name string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

// params returns the <Parameter> children of n as a map.
func (n node) params(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, c := range n.Children {
		if c.Name() != "Parameter" {
			t.Fatalf("unexpected <%s> in <%s>", c.Name(), n.Name())
		}
		name, _ := c.Attr("name")
		value, _ := c.Attr("value")
		out[name] = value
	}
	return out
}

func parseTwiML(t *testing.T, doc string) node {
	t.Helper()
	if !strings.HasPrefix(doc, "<?xml") {
		t.Fatalf("no XML declaration: %q", doc)
	}
	var root node
	if err := xml.Unmarshal([]byte(doc), &root); err != nil {
		t.Fatalf("parse TwiML: %v\n%s", err, doc)
	}
	if root.Name() != "Response" {
		t.Fatalf("root is <%s>, want <Response>", root.Name())
	}
	return root
}

func verbNames(n node) []string {
	var out []string
	for _, c := range n.Children {
		out = append(out, c.Name())
	}
	return out
}
