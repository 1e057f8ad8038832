package sign

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Outputs are the files SignAndAttest writes for one artifact.
type Outputs struct {
	Signature string // <name>.sigstore.json: the signature of the bytes
	SBOM      string // <name>.cyclonedx.sigstore.json: the SBOM attestation
	Verdict   string // <name>.verdict.sigstore.json: the verdict attestation
}

// OutputsFor names the files for artifactPath in dir.
func OutputsFor(dir, artifactPath string) Outputs {
	base := filepath.Join(dir, filepath.Base(artifactPath))
	return Outputs{
		Signature: base + ".sigstore.json",
		SBOM:      base + ".cyclonedx.sigstore.json",
		Verdict:   base + ".verdict.sigstore.json",
	}
}

// RemoveOutputs deletes the bundles an earlier SignAndAttest left in dir for
// artifactPath, and names those it removed: after a failed gate, a pass
// attested before must not be found beside the bytes and deployed.
func RemoveOutputs(dir, artifactPath string) ([]string, error) {
	o := OutputsFor(dir, artifactPath)
	var removed []string
	for _, p := range []string{o.Signature, o.SBOM, o.Verdict} {
		switch err := os.Remove(p); {
		case err == nil:
			removed = append(removed, p)
		case !errors.Is(err, os.ErrNotExist):
			return removed, err
		}
	}
	return removed, nil
}

// SignAndAttest is the gate's provenance step: for the file at
// artifactPath it writes to outDir (see OutputsFor) a signature bundle, a
// CycloneDX attestation of sbomJSON and an attestation of verdict, all
// signed with key, offline. It refuses a verdict that is not a pass, and
// one whose target digest is not the file's (an empty target is filled
// in). Either all three files are written or none is.
func SignAndAttest(ctx context.Context, key *Key, artifactPath string, sbomJSON []byte, verdict VerdictPredicate, outDir string) error {
	if !verdict.Pass {
		return errors.New("sign: refusing to sign an artifact that did not pass the gate")
	}
	subj, err := SubjectOf(artifactPath)
	if err != nil {
		return err
	}
	switch {
	case verdict.Target.SHA256 == "":
		verdict.Target = VerdictTarget{Name: subj.Name, SHA256: subj.SHA256, CodeSHA256: subj.CodeSHA256}
	case !strings.EqualFold(verdict.Target.SHA256, subj.SHA256):
		return fmt.Errorf("sign: the verdict is about sha256:%s, %s has sha256:%s", verdict.Target.SHA256, artifactPath, subj.SHA256)
	}
	if verdict.ScanTime.IsZero() {
		return errors.New("sign: the verdict has no scan time")
	}
	sig, err := SignFile(ctx, key, artifactPath, Options{})
	if err != nil {
		return err
	}
	bom, err := Attest(ctx, key, subj, PredicateCycloneDX, sbomJSON, Options{})
	if err != nil {
		return err
	}
	vj, err := json.Marshal(verdict)
	if err != nil {
		return err
	}
	ver, err := Attest(ctx, key, subj, PredicateVerdict, vj, Options{})
	if err != nil {
		return err
	}
	out := OutputsFor(outDir, artifactPath)
	if err := os.MkdirAll(outDir, 0o755); err != nil {
		return err
	}
	var written []string
	for _, f := range []struct {
		path string
		data []byte
	}{{out.Signature, sig}, {out.SBOM, bom}, {out.Verdict, ver}} {
		if err := WriteFileAtomic(f.path, f.data); err != nil {
			for _, w := range written {
				os.Remove(w)
			}
			return err
		}
		written = append(written, f.path)
	}
	return nil
}

// WriteFileAtomic writes data to a temp file beside path and renames it
// into place, so a reader never sees half a bundle.
func WriteFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".fnscan-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// SignAndAttestImage is SignAndAttest for an image in a registry or an OCI
// layout: ref ("registry:HOST/REPO:TAG") is pinned to the digest the scan
// read (verdict.Target.SHA256, the platform's manifest: a tag may have
// moved since, or name an index); a layout ("oci-dir:PATH") must still hold
// that image. It is signed and given the SBOM's and the verdict's
// attestations, in the registry or in the layout (as cosign lays them out).
// A verdict that failed is attested without a signature: an image's newest
// verdict decides (verify), so a failure must outrank an earlier pass where
// it cannot be deleted. It returns the digest reference written to.
func SignAndAttestImage(ctx context.Context, key *Key, ref string, sbomJSON []byte, verdict VerdictPredicate) (string, error) {
	var pinned string
	var err error
	if path, ok := layoutPath(ref); ok {
		// A layout is written in place: it must still hold what was scanned.
		pinned, err = ref, layoutHolds(path, verdict.Target.SHA256)
	} else {
		pinned, err = pinImage(ref, verdict.Target.SHA256)
	}
	if err != nil {
		return "", err
	}
	if verdict.ScanTime.IsZero() {
		return "", errors.New("sign: the verdict has no scan time")
	}
	vj, err := json.Marshal(verdict)
	if err != nil {
		return "", err
	}
	if !verdict.Pass {
		if _, err := AttestImage(ctx, key, pinned, PredicateVerdict, vj); err != nil {
			return "", err
		}
		return imageName(pinned, verdict.Target.SHA256), nil
	}
	// The signature last: a push that fails half way leaves attestations
	// without one, which verify refuses, never a signature alone.
	if _, err := AttestImage(ctx, key, pinned, PredicateCycloneDX, sbomJSON); err != nil {
		return "", err
	}
	if _, err := AttestImage(ctx, key, pinned, PredicateVerdict, vj); err != nil {
		return "", err
	}
	if _, err := SignImage(ctx, key, pinned); err != nil {
		return "", err
	}
	return imageName(pinned, verdict.Target.SHA256), nil
}

// imageName names what SignAndAttestImage signed: repository@digest, or
// the layout's path@digest.
func imageName(pinned, sha string) string {
	if path, ok := layoutPath(pinned); ok {
		return path + "@sha256:" + sha
	}
	return strings.TrimPrefix(pinned, "registry:")
}

// layoutHolds checks that the layout's image is the one scanned.
func layoutHolds(path, sha string) error {
	if len(sha) != 64 {
		return fmt.Errorf("sign: the scan of %s recorded no manifest digest", path)
	}
	si, err := layoutImage(path)
	if err != nil {
		return err
	}
	d, err := layoutDigest(si)
	if err != nil {
		return err
	}
	if !strings.EqualFold(d.DigestStr(), "sha256:"+sha) {
		return fmt.Errorf("sign: OCI layout %s now holds %s, not the scanned sha256:%s", path, d.DigestStr(), sha)
	}
	return nil
}

// pinImage names the repository of a registry reference at a digest.
func pinImage(ref, sha string) (string, error) {
	r, err := name.ParseReference(strings.TrimPrefix(ref, "registry:"))
	if err != nil {
		return "", fmt.Errorf("not an image reference: %q: %w", ref, err)
	}
	if len(sha) != 64 {
		return "", fmt.Errorf("sign: the scan of %s recorded no manifest digest", ref)
	}
	return "registry:" + r.Context().Digest("sha256:"+strings.ToLower(sha)).String(), nil
}
