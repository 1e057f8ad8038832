package deploy

import "errors"

// DeployedExtras are the optional responses fetched beside GetFunction.
type DeployedExtras struct {
	// Policy is GetPolicy's "Policy" (a JSON policy document as a string).
	Policy string
	// URLConfig is the GetFunctionUrlConfig response (JSON).
	URLConfig []byte
	// CodeSigning is the GetFunctionCodeSigningConfig response (JSON).
	CodeSigning []byte
}

func ParseDeployed(getFunction []byte, extra DeployedExtras) (*Model, error) {
	return nil, errors.New("not yet")
}
