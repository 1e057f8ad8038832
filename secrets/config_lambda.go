package secrets

import (
	"bytes"
	"errors"
)

// Lambda configuration JSON as `aws lambda get-function-configuration`
// prints it (Environment.Variables), or `get-function` output
// (Configuration.Environment.Variables).

func isLambdaConfig(content []byte) bool {
	return bytes.Contains(content, []byte(`"Environment"`)) && bytes.Contains(content, []byte(`"Variables"`)) &&
		(bytes.Contains(content, []byte(`"FunctionName"`)) || bytes.Contains(content, []byte(`"FunctionArn"`)) || bytes.Contains(content, []byte(`"Configuration"`)))
}

func parseLambdaConfig(content []byte) ([]envVar, error) {
	root, err := parseYAMLRoot(content)
	if err != nil {
		return nil, err
	}
	vars := mapPath(root, "Environment", "Variables")
	if vars == nil {
		vars = mapPath(root, "Configuration", "Environment", "Variables")
	}
	if vars == nil {
		return nil, errors.New("no Environment.Variables")
	}
	return yamlVars(vars), nil
}
