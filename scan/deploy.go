package scan

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/fnscan/fnscan/artifact"
	"github.com/fnscan/fnscan/deploy"
	"github.com/fnscan/fnscan/result"
)

// maxConfigFile bounds a deployment config file read from a target:
// CloudFormation refuses templates over 1 MB; serverless.yml and
// Terraform files are smaller still.
const maxConfigFile = 4 << 20

// configStage checks the deployment configuration in the target, in the
// given files and of deployed functions. Explicit files that cannot be
// read or parsed are errors; files found in the target are warnings.
func configStage(t *artifact.Target, files []string, h Handler) ([]result.Misconfiguration, error) {
	var models []*deploy.Model
	for _, p := range files {
		b, err := readCapped(p, maxConfigFile)
		if err != nil {
			return nil, fmt.Errorf("--config %s: %w", p, err)
		}
		m, err := deploy.ParseFile(p, b)
		if err != nil {
			return nil, fmt.Errorf("--config %w", err)
		}
		if m == nil {
			return nil, fmt.Errorf("--config %s: not a SAM/CloudFormation template, serverless.yml, Terraform file or Lambda GetFunction response", p)
		}
		modelWarnings(m, h)
		models = append(models, m)
	}
	if t != nil {
		all, err := t.Files()
		if err != nil {
			return nil, err
		}
		for _, f := range all {
			if !configCandidate(f) {
				continue
			}
			b, err := f.ReadBounded(maxConfigFile)
			if err != nil {
				h.Warning(artifact.Warning{Path: f.Virtual, Message: "configuration not checked: " + err.Error()})
				continue
			}
			m, err := deploy.ParseFile(f.Virtual, b)
			if err != nil {
				h.Warning(artifact.Warning{Path: f.Virtual, Message: "configuration not checked: " + strings.TrimPrefix(err.Error(), f.Virtual+": ")})
				continue
			}
			if m != nil {
				modelWarnings(m, h)
				models = append(models, m)
			}
		}
		for _, d := range t.Deployed {
			m, err := deploy.ParseDeployed(d.GetFunction, deploy.DeployedExtras{
				Policy: d.Policy, URLConfig: d.URLConfig, CodeSigning: d.CodeSigning,
				RolePolicies: d.RolePolicies, ManagedPolicyArns: d.ManagedPolicyArns, RolePolicyNames: d.RolePolicyNames,
			})
			if err != nil {
				h.Warning(artifact.Warning{Path: d.Name, Message: "configuration not checked: " + err.Error()})
				continue
			}
			if d.Name != "" {
				m.File = d.Name
			}
			models = append(models, m)
		}
	}
	out := []result.Misconfiguration{}
	for _, m := range models {
		for _, f := range deploy.Check(m) {
			out = append(out, result.Misconfiguration{
				RuleID: f.RuleID, Title: f.Title, Severity: f.Severity, Resource: f.Resource, ResourceType: f.ResourceType,
				File: f.File, Line: f.Line, Evidence: f.Evidence, Remediation: f.Remediation, CheckovID: f.CheckovID,
			})
		}
	}
	result.SortMisconfigurations(out)
	return out, nil
}

// modelWarnings passes on what a file holds but its model left unchecked.
func modelWarnings(m *deploy.Model, h Handler) {
	for _, w := range m.Warnings {
		h.Warning(artifact.Warning{Path: m.File, Message: "configuration partly checked: " + w})
	}
}

// configCandidate: a file that may be deployment configuration, outside
// vendored trees (a package's own templates are not this deployment's).
func configCandidate(f artifact.File) bool {
	if f.Size > maxConfigFile {
		return false
	}
	p := strings.ToLower(f.Path)
	for _, dir := range []string{"node_modules/", "site-packages/", "vendor/", ".git/", "bower_components/", "dist-packages/"} {
		if strings.HasPrefix(p, dir) || strings.Contains(p, "/"+dir) {
			return false
		}
	}
	if strings.Contains(f.Virtual, "!") && strings.Count(f.Virtual, "!") > 1 {
		return false // inside a nested archive: a library's, not the deployment's
	}
	base := path.Base(p)
	switch base {
	case "package.json", "package-lock.json", "composer.json", "tsconfig.json", "jsconfig.json", ".package-lock.json":
		return false
	}
	switch path.Ext(base) {
	case ".yml", ".yaml", ".json", ".template", ".tf":
		return true
	}
	return false
}

// readCapped reads a config file, bounded by bytes read.
func readCapped(p string, max int64) ([]byte, error) {
	b, err := artifact.ReadFileBounded(p, max)
	return b, unwrapPathErr(err)
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// withDeployed adds each deployed function's configuration (GetFunction
// JSON, as the API returned it) and an image's config (its ENV, the
// commands of its build history) to the files the secrets stage reads, so
// environment variables get the config check every template gets. The
// JSON goes into the target's work dir, removed with it.
func withDeployed(t *artifact.Target, files []artifact.File) ([]artifact.File, error) {
	out := append([]artifact.File(nil), files...)
	add := func(dir, name string, data []byte, f artifact.File) error {
		dir = filepath.Join(t.WorkDir(), dir)
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return err
		}
		f.Real, f.Size = filepath.Join(dir, name), int64(len(data))
		out = append(out, f)
		return os.WriteFile(f.Real, data, 0o600)
	}
	if len(t.ImageConfig) > 0 {
		err := add("image", "config.json", t.ImageConfig, artifact.File{
			Virtual: t.Name + "!" + t.ImageConfigPath, Path: "image-config.json",
			Origin: artifact.Origin{Kind: artifact.OriginImageConfig, Name: t.ImageID},
		})
		if err != nil {
			return nil, err
		}
	}
	for i, d := range t.Deployed {
		if len(d.GetFunction) == 0 {
			continue
		}
		err := add(filepath.Join("deployed", strconv.Itoa(i)), "configuration.json", d.GetFunction, artifact.File{
			Virtual: d.Name + "!configuration.json", Path: "configuration.json",
			Origin: artifact.Origin{Kind: artifact.OriginFunction, Name: d.Name},
		})
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}
