package secrets

import "gopkg.in/yaml.v3"

// serverless.yml: provider.environment and functions.*.environment.
// Variables like ${ssm:...} or ${env:...} are references (isReference).
func parseServerless(content []byte) ([]envVar, error) {
	root, err := parseYAMLRoot(content)
	if err != nil {
		return nil, err
	}
	out := yamlVars(mapPath(root, "provider", "environment"))
	fns := mapPath(root, "functions")
	if fns == nil || fns.Kind != yaml.MappingNode {
		return out, nil
	}
	for i := 0; i+1 < len(fns.Content); i += 2 {
		out = append(out, yamlVars(mapPath(fns.Content[i+1], "environment"))...)
	}
	return out, nil
}
