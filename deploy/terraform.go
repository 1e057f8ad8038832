package deploy

import "errors"

func parseTerraformFile(file string, data []byte) (*Model, error) {
	return nil, errors.New("Terraform: not yet supported")
}
