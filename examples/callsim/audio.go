package main

import (
	"embed"
	"fmt"
	"io/fs"
	"os"
	"path"
	"strings"

	"github.com/callguard/callguard/examples/callsim/sim"
)

// bundled holds the speech WAVs made by audio/gen.sh.
//
//go:embed audio/*.wav
var bundled embed.FS

func bundledNames() []string {
	ents, _ := fs.ReadDir(bundled, "audio")
	var names []string
	for _, e := range ents {
		names = append(names, e.Name())
	}
	return names
}

// loadAudio reads name from disk, or from the bundled WAVs when name has no
// directory part and no such file exists in the working directory.
func loadAudio(name string) (sim.Audio, error) {
	data, err := os.ReadFile(name)
	if err != nil && !strings.ContainsRune(name, os.PathSeparator) {
		b, berr := bundled.ReadFile(path.Join("audio", name))
		if berr == nil {
			data, err = b, nil
		}
	}
	if err != nil {
		return sim.Audio{}, fmt.Errorf("audio: %w (bundled: %s)", err, strings.Join(bundledNames(), ", "))
	}
	return sim.DecodeWAV(name, data)
}
