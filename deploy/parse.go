package deploy

import (
	"bytes"
	"fmt"
	"path"
	"strings"
)

// maxConfigSize bounds what ParseFile reads: deployment templates are
// small, and CloudFormation itself refuses templates over 1 MB.
const maxConfigSize = 8 << 20

// ParseFile reads one deployment configuration file: a SAM or
// CloudFormation template (YAML with short-form tags, or JSON), a
// serverless.yml, a Terraform .tf file, or a Lambda GetFunction response
// saved as JSON. It returns (nil, nil) for a file that is none of these.
// Errors name the file.
func ParseFile(file string, data []byte) (*Model, error) {
	base := strings.ToLower(path.Base(strings.ReplaceAll(file, "\\", "/")))
	ext := path.Ext(base)
	if len(data) > maxConfigSize {
		return nil, nil
	}
	var (
		m   *Model
		err error
	)
	switch {
	case base == "serverless.yml" || base == "serverless.yaml":
		m, err = parseServerlessFile(file, data)
	case ext == ".tf":
		m, err = parseTerraformFile(file, data)
	case ext == ".yml" || ext == ".yaml" || ext == ".json" || ext == ".template":
		if !looksLikeConfig(data) {
			return nil, nil
		}
		root, perr := parseYAMLTree(data)
		if perr != nil {
			return nil, fmt.Errorf("%s: cannot parse: %v", file, perr)
		}
		switch {
		case root.get("Resources") != nil && (root.get("AWSTemplateFormatVersion") != nil || root.get("Transform") != nil || hasAWSTypes(root.get("Resources"))):
			m = parseCloudFormation(file, root)
		case root.path("Configuration", "FunctionName") != nil:
			m, err = ParseDeployed(data, DeployedExtras{})
			if m != nil {
				m.File = file
			}
		default:
			return nil, nil
		}
	default:
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	return m, nil
}

func looksLikeConfig(data []byte) bool {
	return bytes.Contains(data, []byte("AWS::")) || bytes.Contains(data, []byte(`"Configuration"`))
}

func hasAWSTypes(res *node) bool {
	if res == nil || res.kind != nMap {
		return false
	}
	for _, r := range res.vals {
		if s, _ := r.get("Type").scalar(); strings.HasPrefix(s, "AWS::") {
			return true
		}
	}
	return false
}
