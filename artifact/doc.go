// Package artifact opens scan targets (Lambda zips and layers, directories,
// container images, SBOM files) safely: hostile archives are the normal
// case for a scanner. Zips and tars are read in place (Tree, an index of a
// zip's central directory or of one pass over a tar); a compressed tar is
// decompressed once into a private work directory made on first need, and
// an image's layers are squashed in memory.
//
// It is the first stage of the pipeline and imports no other fnscan package.
package artifact
