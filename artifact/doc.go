// Package artifact opens scan targets (Lambda zips and layers, directories,
// container images, SBOM files) safely: hostile archives are the normal
// case for a scanner. Zips are read in place (Tree, an index of the central
// directory); tars and image layers are unpacked into a private work
// directory made on first need.
//
// It is the first stage of the pipeline and imports no other fnscan package.
package artifact
