// Package sbom catalogs an unpacked target with syft and writes or reads
// CycloneDX and SPDX documents. It wraps syft behind fnscan's own Component
// type, which records where each package came from (function, Lambda layer,
// image layer) and its virtual path.
//
// It imports artifact and nothing later in the pipeline.
package sbom
