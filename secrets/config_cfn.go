package secrets

import (
	"bytes"
	"errors"
	"strings"

	"gopkg.in/yaml.v3"
)

// CloudFormation and SAM templates, YAML or JSON. yaml.v3 keeps the short
// intrinsic tags (!Ref, !Sub, ...) as node tags and reads JSON as well,
// with line numbers for both.

var lambdaTypes = map[string]bool{
	"AWS::Serverless::Function": true,
	"AWS::Lambda::Function":     true,
}

func isCloudFormation(content []byte) bool {
	head := content[:min(len(content), 64<<10)]
	if bytes.Contains(head, []byte("AWSTemplateFormatVersion")) || bytes.Contains(head, []byte("AWS::Serverless-")) {
		return true
	}
	return bytes.Contains(content, []byte("Resources")) &&
		(bytes.Contains(content, []byte("AWS::Serverless::Function")) || bytes.Contains(content, []byte("AWS::Lambda::Function")))
}

func parseYAMLRoot(content []byte) (*yaml.Node, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(content, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		return nil, errors.New("empty document")
	}
	root := resolveAlias(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, errors.New("top level is not a mapping")
	}
	return root, nil
}

func parseCloudFormation(content []byte) ([]envVar, error) {
	root, err := parseYAMLRoot(content)
	if err != nil {
		return nil, err
	}
	var out []envVar
	out = append(out, yamlVars(mapPath(root, "Globals", "Function", "Environment", "Variables"))...)
	resources := mapPath(root, "Resources")
	if resources == nil || resources.Kind != yaml.MappingNode {
		return out, nil
	}
	for i := 0; i+1 < len(resources.Content); i += 2 {
		res := resolveAlias(resources.Content[i+1])
		typ := mapPath(res, "Type")
		if typ == nil || !lambdaTypes[typ.Value] {
			continue
		}
		out = append(out, yamlVars(mapPath(res, "Properties", "Environment", "Variables"))...)
	}
	return out, nil
}

func resolveAlias(n *yaml.Node) *yaml.Node {
	for n != nil && n.Kind == yaml.AliasNode {
		n = n.Alias
	}
	return n
}

// mapPath walks mapping keys; nil when any step is missing.
func mapPath(n *yaml.Node, keys ...string) *yaml.Node {
	for _, k := range keys {
		n = resolveAlias(n)
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == k {
				next = n.Content[i+1]
				break
			}
		}
		if next == nil {
			return nil
		}
		n = next
	}
	return resolveAlias(n)
}

// yamlVars reads a Variables/environment mapping.
func yamlVars(m *yaml.Node) []envVar {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	var out []envVar
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], resolveAlias(m.Content[i+1])
		value, literal := yamlValue(v)
		out = append(out, envVar{name: k.Value, value: value, line: v.Line, literal: literal})
	}
	return out
}

// yamlValue returns a node's literal string, or literal=false for
// intrinsic functions and other structures.
func yamlValue(n *yaml.Node) (string, bool) {
	if n == nil {
		return "", false
	}
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!Sub" {
			// !Sub without ${} is a plain string.
			return n.Value, !strings.Contains(n.Value, "${")
		}
		if strings.HasPrefix(n.Tag, "!") && !strings.HasPrefix(n.Tag, "!!") {
			return "", false // !Ref, !GetAtt, !ImportValue, ...
		}
		return n.Value, true
	case yaml.MappingNode:
		if len(n.Content) == 2 {
			fn, arg := n.Content[0].Value, resolveAlias(n.Content[1])
			if fn == "Fn::Sub" && arg.Kind == yaml.ScalarNode {
				return arg.Value, !strings.Contains(arg.Value, "${")
			}
		}
		return "", false
	}
	return "", false
}
