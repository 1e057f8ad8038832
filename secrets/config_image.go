package secrets

import (
	"bytes"
	"errors"
	"strings"

	"gopkg.in/yaml.v3"
)

// An image config (OCI or docker) declares the container's environment as
// "NAME=value" strings in config.Env: a container function's equivalent of
// a Lambda function's Environment.Variables. Its build history is scanned
// by the content rules with the rest of the file.

func isImageConfig(content []byte) bool {
	return bytes.Contains(content, []byte(`"rootfs"`)) && bytes.Contains(content, []byte(`"diff_ids"`))
}

func parseImageConfig(content []byte) ([]envVar, error) {
	root, err := parseYAMLRoot(content)
	if err != nil {
		return nil, err
	}
	var out []envVar
	found := false
	// container_config: what older docker builders recorded of the build
	// step's container, the same variables at the time.
	for _, at := range []string{"config", "container_config"} {
		env := mapPath(root, at, "Env")
		if env == nil || env.Kind != yaml.SequenceNode {
			continue
		}
		found = true
		for _, n := range env.Content {
			if n.Kind != yaml.ScalarNode {
				continue
			}
			name, value, ok := strings.Cut(n.Value, "=")
			if !ok || name == "" {
				continue
			}
			out = append(out, envVar{name: name, value: value, line: n.Line, literal: true})
		}
	}
	if !found {
		return nil, errors.New("no config.Env")
	}
	return out, nil
}
