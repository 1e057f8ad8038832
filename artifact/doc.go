// Package artifact opens scan targets (Lambda zips and layers, directories,
// container images, SBOM files) and unpacks them into a private work
// directory, safely: hostile archives are the normal case for a scanner.
//
// It is the first stage of the pipeline and imports no other fnscan package.
package artifact
