package secrets

import (
	"bytes"
	"encoding/json"
	"strings"

	"gopkg.in/yaml.v3"
)

// An image config (OCI or docker) declares the container's environment as
// "NAME=value" strings in config.Env: a container function's equivalent of
// a Lambda function's Environment.Variables. Its build history is scanned
// by the content rules with the rest of the file.

// imageConfigPath is the path the scan gives an image's config (scan/deploy.go).
const imageConfigPath = "image-config.json"

func isImageConfig(content []byte) bool {
	if !bytes.Contains(content, []byte(`"rootfs"`)) || !bytes.Contains(content, []byte(`"diff_ids"`)) {
		return false
	}
	var c struct {
		RootFS *struct {
			DiffIDs []string `json:"diff_ids"`
		} `json:"rootfs"`
	}
	return json.Unmarshal(content, &c) == nil && c.RootFS != nil && c.RootFS.DiffIDs != nil
}

func parseImageConfig(content []byte) ([]envVar, error) {
	root, err := parseYAMLRoot(content)
	if err != nil {
		return nil, err
	}
	var out []envVar
	// container_config: what older docker builders recorded of the build
	// step's container, the same variables at the time.
	for _, at := range []string{"config", "container_config"} {
		env := mapPath(root, at, "Env")
		if env == nil || env.Kind != yaml.SequenceNode {
			continue
		}
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
	return out, nil // an image without an environment has nothing to check
}
