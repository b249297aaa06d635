package resemble

import (
	"mime/multipart"
	"strconv"
)

// Options are the optional POST /detect fields sent with every clip. The
// zero value sends none of them (Resemble's defaults apply).
type Options struct {
	// FrameLength is the analysis window in seconds, 1–4 (Resemble's
	// default is 2). 0 omits the field.
	FrameLength int
	// StartRegion and EndRegion restrict analysis to a segment, in seconds.
	// Zero omits the field.
	StartRegion, EndRegion float64
	// Visualize asks for visualisation artefacts (heat-map image).
	Visualize bool
	// Intelligence runs Resemble's multimodal intelligence analysis.
	Intelligence bool
	// AudioSourceTracing asks which platform synthesised fake audio.
	AudioSourceTracing bool
	// UseOODDetector enables out-of-distribution detection.
	UseOODDetector bool
	// ZeroRetentionMode asks Resemble to delete the media after detection.
	ZeroRetentionMode bool
	// CallbackURL is POSTed the result when analysis completes.
	CallbackURL string
}

// fields returns the options as form/JSON field name–value pairs, in a fixed order.
func (o Options) fields(yield func(name, value string) error) error {
	type kv struct{ k, v string }
	var list [9]kv
	n := 0
	add := func(k, v string) { list[n] = kv{k, v}; n++ }
	if o.FrameLength != 0 {
		add("frame_length", strconv.Itoa(o.FrameLength))
	}
	if o.StartRegion != 0 {
		add("start_region", strconv.FormatFloat(o.StartRegion, 'f', -1, 64))
	}
	if o.EndRegion != 0 {
		add("end_region", strconv.FormatFloat(o.EndRegion, 'f', -1, 64))
	}
	if o.Visualize {
		add("visualize", "true")
	}
	if o.Intelligence {
		add("intelligence", "true")
	}
	if o.AudioSourceTracing {
		add("audio_source_tracing", "true")
	}
	if o.UseOODDetector {
		add("use_ood_detector", "true")
	}
	if o.ZeroRetentionMode {
		add("zero_retention_mode", "true")
	}
	if o.CallbackURL != "" {
		add("callback_url", o.CallbackURL)
	}
	for _, f := range list[:n] {
		if err := yield(f.k, f.v); err != nil {
			return err
		}
	}
	return nil
}

// jsonFields returns the options as a JSON object body map.
func (o Options) jsonFields(m map[string]any) {
	_ = o.fields(func(k, v string) error {
		switch k {
		case "frame_length":
			m[k] = o.FrameLength
		case "start_region":
			m[k] = o.StartRegion
		case "end_region":
			m[k] = o.EndRegion
		case "callback_url":
			m[k] = v
		default:
			m[k] = true
		}
		return nil
	})
}

// writeFields writes the options as multipart form fields.
func (o Options) writeFields(mw *multipart.Writer) error {
	return o.fields(mw.WriteField)
}
