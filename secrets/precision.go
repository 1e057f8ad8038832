package secrets

import (
	"path"
	"regexp"
	"strings"
)

// Precision filters. A deployed function ships its dependencies, so
// vendored code is still scanned, but only with rules whose match is
// self-identifying (AWS keys, private keys, provider tokens); rules that
// key on a variable name fire hundreds of times on SDK and bundler code.

// vendoredDirs are path segments that hold third-party code.
var vendoredDirs = map[string]bool{
	"node_modules": true, "bower_components": true, "jspm_packages": true,
	"site-packages": true, "dist-packages": true, "vendor": true,
	".bundle": true, "gems": true, ".m2": true,
}

// knownJars are prefixes of library jars commonly bundled in Java functions.
var knownJars = regexp.MustCompile(`(?i)^(?:aws-java-sdk|aws-lambda-java|awssdk|software\.amazon|jackson|guava|netty|commons-|log4j|slf4j|logback|spring|httpclient|httpcore|bcprov|bcpkix|joda|gson|protobuf|okhttp|okio|kotlin|scala|jetty|javax|jakarta|hibernate|reactor|aopalliance|byte-buddy|snakeyaml|ion-java|eventstream|annotations|checker-qual|error_prone|j2objc|failureaccess|listenablefuture|jsr305|auth-|regions-|sdk-core|http-client-spi|apache-client|netty-nio-client|metrics-spi|profiles-|protocol-core|utils-|third-party-jackson|json-utils|endpoints-spi|arns-|crt-core|checksums)`)

// pathSegments splits a scan path; nested archive separators count as
// directory separators.
func pathSegments(p string) []string {
	p = strings.ReplaceAll(p, "!/", "/")
	p = strings.ReplaceAll(p, "!", "/")
	return strings.Split(p, "/")
}

// normalizePath is the path rules and allowlists see.
func normalizePath(p string) string {
	p = strings.ReplaceAll(p, "\\", "/")
	p = strings.ReplaceAll(p, "!/", "/")
	return strings.ReplaceAll(p, "!", "/")
}

func isVendored(p string) bool {
	segs := pathSegments(p)
	for i, s := range segs {
		if vendoredDirs[s] {
			return true
		}
		ls := strings.ToLower(s)
		if strings.HasSuffix(ls, ".dist-info") || strings.HasSuffix(ls, ".egg-info") {
			return true
		}
		// python/lib/python3.x in a Lambda layer.
		if strings.HasPrefix(ls, "python") && i > 0 && segs[i-1] == "lib" {
			return true
		}
		if strings.HasSuffix(ls, ".jar") && i < len(segs)-1 {
			if knownJars.MatchString(s) || (i > 0 && segs[i-1] == "lib") {
				return true
			}
		}
	}
	return false
}

var testDirs = map[string]bool{
	"test": true, "tests": true, "__tests__": true, "spec": true, "specs": true,
	"fixture": true, "fixtures": true, "__fixtures__": true, "testdata": true,
	"test-data": true, "test_data": true, "example": true, "examples": true,
	"sample": true, "samples": true, "demo": true, "demos": true, "doc": true,
	"docs": true, "benchmark": true, "benchmarks": true, "__mocks__": true,
	"mock": true, "mocks": true, "testing": true, "e2e": true,
}

var testFile = regexp.MustCompile(`(?i)(?:[._-](?:test|spec)\.[a-z0-9]+$|_test\.go$|(?:^|/)test_[^/]*\.py$|(?:^|/)conftest\.py$)`)

func isTestPath(p string) bool {
	segs := pathSegments(p)
	for _, s := range segs[:len(segs)-1] {
		if testDirs[strings.ToLower(s)] {
			return true
		}
	}
	return testFile.MatchString(segs[len(segs)-1])
}

// vendoredSkipExt are documentation and source-map files: in third-party
// packages they hold example credentials, never live ones.
var vendoredSkipExt = map[string]bool{
	".md": true, ".markdown": true, ".rst": true, ".txt": true, ".html": true,
	".htm": true, ".map": true, ".ts": true, ".flow": true, ".def": true,
}

// exampleName matches files such as "sso-oidc.examples.json" or
// "config.example.js".
var exampleName = regexp.MustCompile(`(?:^|[._-])(?:examples?|samples?|fixtures?|mocks?)(?:[._-]|$)`)

func vendoredNoise(p string) bool {
	base := strings.ToLower(path.Base(normalizePath(p)))
	if exampleName.MatchString(base) || strings.HasSuffix(base, ".d.ts") || strings.HasPrefix(base, "license") ||
		strings.HasPrefix(base, "changelog") || strings.HasPrefix(base, "readme") || strings.HasPrefix(base, "history") {
		return true
	}
	return vendoredSkipExt[path.Ext(base)]
}

// isMinified spots bundled or minified code, where variable-name rules
// match identifiers, not secrets.
func isMinified(p string, content []byte) bool {
	if strings.Contains(strings.ToLower(path.Base(p)), ".min.") {
		return true
	}
	if len(content) < 2048 {
		return false
	}
	sample := content[:min(len(content), 64<<10)]
	lines, longest, cur := 1, 0, 0
	for _, c := range sample {
		if c == '\n' {
			lines++
			longest = max(longest, cur)
			cur = 0
			continue
		}
		cur++
	}
	longest = max(longest, cur)
	return longest > 1000 && len(sample)/lines > 250
}

var exampleSecrets = map[string]bool{
	"akid": true, "secret": true, "token": true, "test": true, "testing": true,
	"secretkey": true, "sessiontoken": true, "session": true, "string": true,
	"null": true, "undefined": true, "none": true, "bearer": true, "todo": true,
	"tbd": true, "foo": true, "bar": true, "foobar": true, "baz": true,
	"changeit": true, "secret_key": true, "access_key": true, "api_key": true,
	"apikey": true, "my-secret": true, "mysecret": true, "abc123": true,
	"1234": true, "12345": true, "123456": true, "12345678": true, "123456789": true,
	"1234567890": true, "abcdef": true, "qwerty": true,
}

var placeholderRe = []*regexp.Regexp{
	regexp.MustCompile(`(?i)example|placeholder|change[-_]?me|replace[-_]?me|redacted|dummy|<your|your[-_ ]|^your|insert[-_ ]?your|xxxx|\*\*\*\*|\.\.\.\.|•••`),
	regexp.MustCompile(`^<[^<>]+>$`),
	regexp.MustCompile(`\$\{[^}]*\}|\{\{[^}]*\}\}|%\([^)]*\)s|^\$[A-Za-z_]\w*$|^%[A-Za-z_]\w*%$|^\{[A-Za-z_]\w*\}$`),
}

// isExampleSecret reports documentation keys, placeholders and test
// literals, which are never findings.
func isExampleSecret(s string) bool {
	t := strings.TrimSpace(s)
	if t == "" {
		return true
	}
	if exampleSecrets[strings.ToLower(t)] {
		return true
	}
	for _, re := range placeholderRe {
		if re.MatchString(t) {
			return true
		}
	}
	// One repeated character, ignoring separators: "aaaaaaa", "0000-0000".
	var first rune
	same := true
	for _, c := range t {
		if c == '-' || c == '_' || c == '.' || c == ' ' {
			continue
		}
		if first == 0 {
			first = c
		} else if c != first {
			same = false
			break
		}
	}
	return same
}
