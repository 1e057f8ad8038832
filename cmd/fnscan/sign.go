package main

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/fnscan/fnscan/aws"
	"github.com/fnscan/fnscan/scan"
	"github.com/fnscan/fnscan/sign"

	// KMS keys (--key awskms://…, gcpkms://…, hashivault://…), as cosign
	// accepts them.
	_ "github.com/sigstore/sigstore/pkg/signature/kms/aws"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/gcp"
	_ "github.com/sigstore/sigstore/pkg/signature/kms/hashivault"
)

const signUsage = `Provenance (offline, key-based; see docs/provenance.md):
  fnscan keygen [--output-key-prefix P]
  fnscan sign   --key KEY ARTIFACT [--bundle OUT]
  fnscan attest --key KEY --predicate-type cyclonedx|verdict|URI --predicate FILE ARTIFACT [--bundle OUT]
  fnscan verify --key PUB --bundle B ARTIFACT [--attestation A]... [--type cyclonedx|verdict|URI]...
                [--require-verdict pass] [--max-age D]
  fnscan sign|attest ... registry:IMAGE|oci-dir:PATH
  fnscan verify --key PUB registry:IMAGE|oci-dir:PATH [--type T]... [--require-verdict pass] [--max-age D]
  fnscan verify --key PUB --bundle B lambda:NAME|ARN|NAME:ALIAS [--attestation A]... [--type T]...
                [--require-verdict pass] [--max-age D] [--region R] [--profile P] [--endpoint-url URL]
                (the deployed code's CodeSha256 from GetFunction; the code is not downloaded)
                (cosign's formats: legacy .sig/.att tags, and bundle referrers in a registry)
  fnscan verify-bundle --bundle B (--key PUB | --certificate-identity I --certificate-oidc-issuer U)
                --trusted-root ROOT FILE_OR_DIGEST
Keys are cosign's encrypted format; the password comes from FNSCAN_PASSWORD
or COSIGN_PASSWORD (an empty value is a password). verify exits 0 when
every check passed, 1 naming the first failed check, 2 when it could not check.
`

// signFlags is a flag set whose -h shows the provenance commands.
func signFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { // to the output parse chose: nothing after a bad flag
		fmt.Fprint(fs.Output(), signUsage)
		fs.PrintDefaults()
	}
	return fs
}

// password is the key password from the environment. Unset is an error:
// a gate must not stop to prompt.
func password() ([]byte, error) {
	for _, v := range []string{"FNSCAN_PASSWORD", "COSIGN_PASSWORD"} {
		if p, ok := os.LookupEnv(v); ok {
			return []byte(p), nil
		}
	}
	return nil, errors.New("no key password: set FNSCAN_PASSWORD or COSIGN_PASSWORD (it may be empty)")
}

// signingKey is the key (nil for keyless) and options a sign or attest
// command uses; images take a key only, offline.
func signingKey(ctx context.Context, on *onlineFlags, keyPath, art, verb string) (sign.Options, *sign.Key, error) {
	opts, keyless, err := on.options()
	if err != nil {
		return opts, nil, err
	}
	if isImage(art) && (keyless || opts.RekorURL != "") {
		return opts, nil, usageErr(fmt.Errorf("images are %s with a key only, offline", verb))
	}
	if keyless {
		return opts, nil, nil
	}
	key, err := loadKey(ctx, keyPath)
	return opts, key, err
}

// loadKey reads a private key file, or opens a KMS key. A key file's bytes
// never reach an error message.
func loadKey(ctx context.Context, path string) (*sign.Key, error) {
	if path == "" {
		return nil, usageErr(errors.New("--key KEY is required"))
	}
	if sign.IsKMSRef(path) {
		k, err := sign.LoadKMSKey(ctx, path)
		if err != nil {
			return nil, &codeError{code: exitError, err: err}
		}
		return k, nil
	}
	pemBytes, err := os.ReadFile(path)
	if err != nil {
		return nil, &codeError{code: exitError, err: fmt.Errorf("--key: %w", err)}
	}
	pw, err := password()
	if err != nil {
		return nil, &codeError{code: exitError, err: err}
	}
	k, err := sign.ParsePrivateKey(pemBytes, pw)
	if err != nil {
		return nil, &codeError{code: exitError, err: fmt.Errorf("key %s: %w", path, err)}
	}
	return k, nil
}

func cmdKeygen(_ context.Context, args []string, _, stderr io.Writer) error {
	fs := signFlags("fnscan keygen", stderr)
	prefix := fs.String("output-key-prefix", "fnscan", "write PREFIX.key (encrypted private key) and PREFIX.pub")
	pos, err := parse(fs, args)
	if err != nil {
		return usageErr(err)
	}
	if len(pos) != 0 {
		return usageErr(fmt.Errorf("keygen takes no arguments (got %q)", pos))
	}
	pw, err := password()
	if err != nil {
		return &codeError{code: exitError, err: err}
	}
	keyPath, pubPath := *prefix+".key", *prefix+".pub"
	for _, p := range []string{keyPath, pubPath} {
		if _, err := os.Lstat(p); err == nil {
			return &codeError{code: exitError, err: fmt.Errorf("%s exists: not overwriting a key", p)}
		}
	}
	priv, pub, err := sign.GenerateKey(pw)
	if err != nil {
		return err
	}
	// O_EXCL: a file that appeared since the check is not overwritten.
	f, err := os.OpenFile(keyPath, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return &codeError{code: exitError, err: err}
	}
	if _, err := f.Write(priv); err != nil {
		f.Close()
		os.Remove(keyPath)
		return err
	}
	if err := f.Close(); err != nil {
		os.Remove(keyPath)
		return err
	}
	if err := os.WriteFile(pubPath, pub, 0o644); err != nil {
		os.Remove(keyPath)
		return &codeError{code: exitError, err: err}
	}
	fmt.Fprintf(stderr, "Private key written to %s\nPublic key written to %s\n", keyPath, pubPath)
	return nil
}

// isImage: images are signed in place, in a registry or an OCI layout.
// signTarget is the one TARGET of sign, attest and verify: a file as scan
// names it (zip:fn.zip is fn.zip, which scan --sign-key signed), an image
// or a function.
func signTarget(args []string, cmd string) (string, error) {
	t, err := target(args, cmd)
	if err != nil || isImage(t) {
		return t, err
	}
	return signablePath(t), nil
}

func isImage(target string) bool {
	return strings.HasPrefix(target, "registry:") || strings.HasPrefix(target, "oci-dir:")
}

// onlineFlags are the opt-in network services of sign and attest.
type onlineFlags struct{ rekor, fulcio, token string }

func (o *onlineFlags) register(fs *flag.FlagSet) {
	fs.StringVar(&o.rekor, "rekor-url", "", "opt in: upload to this Rekor log (e.g. https://rekor.sigstore.dev)")
	fs.StringVar(&o.fulcio, "fulcio-url", "", "opt in, with --identity-token: sign keylessly with a Fulcio certificate")
	fs.StringVar(&o.token, "identity-token", "", "OIDC token for keyless signing")
}

func (o *onlineFlags) options() (sign.Options, bool, error) {
	opts := sign.Options{RekorURL: o.rekor, FulcioURL: o.fulcio, IdentityToken: o.token}
	if (o.fulcio == "") != (o.token == "") {
		return opts, false, usageErr(errors.New("keyless signing needs both --fulcio-url and --identity-token"))
	}
	return opts, o.fulcio != "", nil
}

func cmdSign(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := signFlags("fnscan sign", stderr)
	keyPath := fs.String("key", "", "private key (cosign format)")
	out := fs.String("bundle", "", "write the bundle here (default ARTIFACT.sigstore.json; - for stdout)")
	var on onlineFlags
	on.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return usageErr(err)
	}
	art, err := signTarget(pos, "sign")
	if err != nil {
		return err
	}
	opts, key, err := signingKey(ctx, &on, *keyPath, art, "signed")
	if err != nil {
		return err
	}
	if isImage(art) {
		d, err := sign.SignImage(ctx, key, art)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Signed %s (%s)\n", art, d)
		return nil
	}
	b, err := sign.SignFile(ctx, key, art, opts)
	if err != nil {
		return err
	}
	if *out == "" {
		*out = art + ".sigstore.json"
	}
	return writeBundle(ctx, *out, b, stdout, stderr)
}

func writeBundle(ctx context.Context, path string, b []byte, stdout, stderr io.Writer) error {
	if err := writeOutput(ctx, output{format: "bundle", file: path}, stdout, func(w io.Writer) error {
		_, err := w.Write(b)
		return err
	}); err != nil {
		return err
	}
	if path != "-" {
		fmt.Fprintln(stderr, "Bundle written to", path)
	}
	return nil
}

func cmdAttest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := signFlags("fnscan attest", stderr)
	keyPath := fs.String("key", "", "private key (cosign format)")
	typ := fs.String("predicate-type", "", "cyclonedx, verdict, or a predicate type URI")
	fs.StringVar(typ, "type", "", "same as --predicate-type")
	predPath := fs.String("predicate", "", "the predicate: a JSON file")
	out := fs.String("bundle", "", "write the bundle here (default ARTIFACT.TYPE.sigstore.json; - for stdout)")
	var on onlineFlags
	on.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return usageErr(err)
	}
	art, err := signTarget(pos, "attest")
	if err != nil {
		return err
	}
	short, uri := *typ, *typ
	if u, ok := sign.PredicateTypes[*typ]; ok {
		uri = u
	} else if !strings.Contains(*typ, "://") {
		return usageErr(fmt.Errorf("--predicate-type %q: want cyclonedx, verdict or a URI", *typ))
	} else {
		short = "att"
	}
	if *predPath == "" {
		return usageErr(errors.New("--predicate FILE is required"))
	}
	ev, err := sign.ReadEvidence(*predPath)
	pred := ev.Data
	if err != nil {
		return &codeError{code: exitError, err: fmt.Errorf("--predicate: %w", err)}
	}
	opts, key, err := signingKey(ctx, &on, *keyPath, art, "attested")
	if err != nil {
		return err
	}
	if isImage(art) {
		d, err := sign.AttestImage(ctx, key, art, uri, pred)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "Attested %s to %s (%s)\n", short, art, d)
		return nil
	}
	subj, err := sign.SubjectOf(art)
	if err != nil {
		return &codeError{code: exitError, err: err}
	}
	b, err := sign.Attest(ctx, key, subj, uri, pred, opts)
	if err != nil {
		return &codeError{code: exitError, err: fmt.Errorf("%s: %w", *predPath, err)}
	}
	if *out == "" {
		*out = art + "." + short + ".sigstore.json"
	}
	return writeBundle(ctx, *out, b, stdout, stderr)
}

// parseAge reads a Go duration, or whole days as "7d".
func parseAge(s string) (time.Duration, error) {
	d, err := scan.ParseAge(s)
	if err != nil {
		return 0, fmt.Errorf("--max-age %w", err)
	}
	return d, nil
}

func readPublicKey(path string) (any, error) {
	if path == "" {
		return nil, usageErr(errors.New("--key PUB is required"))
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, &codeError{code: exitError, err: fmt.Errorf("--key: %w", err)}
	}
	pub, err := sign.ParsePublicKey(b)
	if err != nil {
		return nil, &codeError{code: exitError, err: fmt.Errorf("--key %s: %w", path, err)}
	}
	return pub, nil
}

func cmdVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := signFlags("fnscan verify", stderr)
	keyPath := fs.String("key", "", "public key (PEM)")
	bundlePath := fs.String("bundle", "", "the signature bundle of ARTIFACT")
	var atts, types listFlag
	fs.Var(&atts, "attestation", "an attestation bundle about ARTIFACT (repeatable)")
	fs.Var(&types, "type", "require an attestation of this predicate type: cyclonedx, verdict or a URI (repeatable)")
	reqVerdict := fs.String("require-verdict", "", "pass: require a verdict attestation that says pass")
	maxAge := fs.String("max-age", "", "fail attestations older than this (e.g. 36h, 7d)")
	var af awsFlags
	af.register(fs)
	pos, err := parse(fs, args)
	if err != nil {
		return usageErr(err)
	}
	art, err := signTarget(pos, "verify")
	if err != nil {
		return err
	}
	lambdaRef, isLambda := strings.CutPrefix(art, aws.ProviderName+":")
	if fleet, err := af.lambdaTarget(art); err != nil {
		return err
	} else if fleet {
		return usageErr(fmt.Errorf("verify checks one function, not a fleet (%s)", art))
	}
	pol := sign.Policy{}
	switch *reqVerdict {
	case "":
	case "pass":
		pol.RequireVerdictPass = true
	default:
		return usageErr(fmt.Errorf("--require-verdict %q: only pass is supported", *reqVerdict))
	}
	if *maxAge != "" {
		if pol.MaxAge, err = parseAge(*maxAge); err != nil {
			return usageErr(err)
		}
	}
	for _, t := range types {
		if u, ok := sign.PredicateTypes[t]; ok {
			t = u
		} else if !strings.Contains(t, "://") {
			return usageErr(fmt.Errorf("--type %q: want cyclonedx, verdict or a URI", t))
		}
		pol.PredicateTypes = append(pol.PredicateTypes, t)
	}
	image := isImage(art)
	if *bundlePath == "" && !image {
		return usageErr(errors.New("--bundle B is required"))
	}
	if image && (*bundlePath != "" || len(atts) > 0) {
		return usageErr(errors.New("an image's signatures and attestations are read from its registry: no --bundle or --attestation"))
	}
	if pol.Key, err = readPublicKey(*keyPath); err != nil {
		return err
	}
	if image {
		res, err := sign.VerifyImage(ctx, art, pol)
		return verified(res, err, stdout, stderr)
	}
	sig, err := sign.ReadEvidence(*bundlePath)
	if err != nil {
		return &codeError{code: exitError, err: fmt.Errorf("--bundle: %w", err)}
	}
	var evs []sign.Evidence
	for _, a := range atts {
		e, err := sign.ReadEvidence(a)
		if err != nil {
			return &codeError{code: exitError, err: fmt.Errorf("--attestation: %w", err)}
		}
		evs = append(evs, e)
	}
	if isLambda {
		// Only GetFunction: the deployed zip is identified by its
		// CodeSha256, never downloaded.
		code, err := aws.CodeDigest(ctx, lambdaRef, af.client())
		if err != nil {
			return &codeError{code: exitError, err: fmt.Errorf("verify: could not check: %w", err)}
		}
		where := "lambda:" + cmp.Or(code.ARN, lambdaRef)
		res, err := sign.VerifyDigest(where, code.SHA256, sig, evs, pol)
		if err == nil {
			var layers []sign.VerdictTarget
			for _, l := range code.Layers {
				layers = append(layers, sign.VerdictTarget{Name: l.ARN, SHA256: l.SHA256})
			}
			err = sign.CheckLayers(res, where, layers)
		}
		return verified(res, err, stdout, stderr)
	}
	res, err := sign.VerifyFile(art, sig, evs, pol)
	return verified(res, err, stdout, stderr)
}

// verified reports a verification: one line on stdout when it passed, one
// naming the failed check on stderr (exit 1), or could not check (exit 2).
func verified(res *sign.Verified, err error, stdout, stderr io.Writer) error {
	var ce *sign.CheckError
	if errors.As(err, &ce) {
		fmt.Fprintln(stderr, "fnscan: verify failed:", oneLine(ce.Error()))
		return &codeError{code: exitPolicy, err: ce}
	}
	if err != nil {
		return &codeError{code: exitError, err: fmt.Errorf("verify: could not check: %w", err)}
	}
	var parts []string
	for _, a := range res.Attestations {
		s := a.PredicateType
		if a.Verdict != nil {
			s = "verdict: fail"
			if a.Verdict.Pass {
				s = "verdict: pass"
			}
		} else if a.PredicateType == sign.PredicateCycloneDX {
			s = "cyclonedx"
		}
		parts = append(parts, s)
	}
	fmt.Fprintf(stdout, "verified %s sha256:%s: signature", oneLine(res.Subject.Name), res.Subject.SHA256)
	if len(parts) > 0 {
		fmt.Fprintf(stdout, ", attestations: %s", strings.Join(parts, ", "))
	}
	fmt.Fprintln(stdout)
	return nil
}

// cmdVerifyBundle is the verify side of the sigstore-conformance CLI
// protocol (its docs/cli_protocol.md). It exits 0 on success, 1 when the
// bundle does not verify, 2 when it could not check.
func cmdVerifyBundle(_ context.Context, args []string, _, stderr io.Writer) error {
	fs := signFlags("fnscan verify-bundle", stderr)
	staging := fs.Bool("staging", false, "Sigstore staging (needs --trusted-root: nothing is fetched)")
	bundlePath := fs.String("bundle", "", "the Sigstore bundle")
	identity := fs.String("certificate-identity", "", "expected SAN of the signing certificate")
	issuer := fs.String("certificate-oidc-issuer", "", "expected OIDC issuer of the signing certificate")
	keyPath := fs.String("key", "", "public key (PEM), instead of a certificate identity")
	rootPath := fs.String("trusted-root", "", "trusted_root.json")
	pos, err := parse(fs, args)
	if err != nil {
		return usageErr(err)
	}
	what, err := target(pos, "verify-bundle")
	if err != nil {
		return err
	}
	if *rootPath == "" {
		which := "production"
		if *staging {
			which = "staging"
		}
		return usageErr(fmt.Errorf("--trusted-root is required: fnscan does not fetch the %s root over TUF", which))
	}
	if *bundlePath == "" {
		return usageErr(errors.New("--bundle is required"))
	}
	c := sign.BundleCheck{Identity: *identity, Issuer: *issuer}
	if *keyPath != "" {
		k, err := readPublicKey(*keyPath)
		if err != nil {
			return err
		}
		c.Key = k
	} else if *identity == "" || *issuer == "" {
		return usageErr(errors.New("give --key, or --certificate-identity and --certificate-oidc-issuer"))
	}
	if c.TrustedRoot, err = os.ReadFile(*rootPath); err != nil {
		return &codeError{code: exitError, err: err}
	}
	if c.Bundle, err = os.ReadFile(*bundlePath); err != nil {
		return &codeError{code: exitError, err: err}
	}
	if d, ok := digestArg(what); ok {
		c.ArtifactSHA256 = d
	} else if c.Artifact, err = os.ReadFile(what); err != nil {
		return &codeError{code: exitError, err: err}
	}
	if err := sign.VerifyBundle(c); err != nil {
		fmt.Fprintln(stderr, "fnscan: verify-bundle failed:", oneLine(err.Error()))
		return &codeError{code: exitPolicy, err: err}
	}
	return nil
}

// digestArg reads "sha256:<64 hex>" that is not a path on disk, as the
// conformance protocol asks.
func digestArg(s string) ([]byte, bool) {
	h, ok := strings.CutPrefix(s, "sha256:")
	if !ok || len(h) != 2*sha256.Size {
		return nil, false
	}
	if _, err := os.Stat(s); err == nil {
		return nil, false
	}
	d, err := hex.DecodeString(h)
	return d, err == nil
}
