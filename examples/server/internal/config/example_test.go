package config_test

import (
	"fmt"

	"github.com/callguard/callguard/examples/server/internal/config"
)

func ExampleParseFile() {
	m, err := config.ParseFile([]byte("# callguard.env\nPORT=9000\nexport CALLGUARD_ANNOUNCE_TEXT=\"Careful: synthetic voice\"\n"))
	fmt.Println(m["PORT"], m["CALLGUARD_ANNOUNCE_TEXT"], err)
	// Output: 9000 Careful: synthetic voice <nil>
}

func ExampleLoad() {
	env := map[string]string{"CALLGUARD_WINDOW": "2s"}
	cfg, _, err := config.Load(config.Options{Args: []string{"-port", "9090"}, Getenv: func(k string) string { return env[k] }})
	fmt.Println(cfg.Port, cfg.Sources["PORT"], cfg.Window, cfg.Sources["CALLGUARD_WINDOW"], cfg.PublicURL, err)
	// Output: 9090 flag 2s env http://localhost:9090 <nil>
}
