package deploy

import "errors"

func parseServerlessFile(file string, data []byte) (*Model, error) {
	return nil, errors.New("serverless.yml: not yet supported")
}
