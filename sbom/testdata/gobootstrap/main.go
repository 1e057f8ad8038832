// A tiny Lambda-style Go program that links real modules, compiled by the
// sbom tests into a "bootstrap" binary.
package main

import (
	"fmt"

	"golang.org/x/text/language"
	"gopkg.in/yaml.v3"
)

func main() {
	b, _ := yaml.Marshal(map[string]string{"lang": language.English.String()})
	fmt.Print(string(b))
}
