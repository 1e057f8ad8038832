package secrets

import (
	"fmt"
	"path"
	"regexp"
	"strings"
	"unicode"
)

// Deployment config pass: environment variables of functions are parsed
// from their templates, so that "DB_PASSWORD: hunter2" is found even when
// no content rule matches the value, and "{{resolve:secretsmanager:...}}"
// or "!Ref DbPassword" is known to be a reference, not a secret.

// envVar is one variable as a config format declares it.
type envVar struct {
	name  string
	value string
	line  int
	// literal is false for references and expressions (intrinsic
	// functions, Terraform expressions, ...).
	literal bool
}

const envVarRule = "env-var-secret"

// configParser extracts the environment variables of one format.
type configParser struct {
	format string
	parse  func(content []byte) ([]envVar, error)
}

// detectConfig picks the parser for a file by name and, for generic
// YAML/JSON, by content.
func detectConfig(p string, content []byte) (configParser, bool) {
	base := strings.ToLower(path.Base(p))
	ext := path.Ext(base)
	switch {
	case base == "serverless.yml" || base == "serverless.yaml":
		return configParser{"serverless.yml", parseServerless}, true
	case base == ".env" || ext == ".env" || strings.HasPrefix(base, ".env."):
		return configParser{"dotenv", parseDotenv}, true
	case ext == ".tf":
		return configParser{"Terraform", parseTerraform}, true
	case ext == ".yml" || ext == ".yaml" || ext == ".json" || ext == ".template":
		if len(content) > 8<<20 {
			return configParser{}, false
		}
		if isCloudFormation(content) {
			return configParser{"CloudFormation", parseCloudFormation}, true
		}
		if ext == ".json" && isLambdaConfig(content) {
			return configParser{"Lambda configuration", parseLambdaConfig}, true
		}
		if ext == ".json" && isImageConfig(content) {
			return configParser{"image config", parseImageConfig}, true
		}
	}
	return configParser{}, false
}

// scanConfig reports secret-named variables with literal values. A parse
// error is returned for a warning; it never carries file content.
func scanConfig(p string, content []byte) ([]hit, error) {
	cp, ok := detectConfig(p, content)
	if !ok {
		return nil, nil
	}
	vars, err := cp.parse(content)
	if err != nil {
		return nil, fmt.Errorf("cannot parse %s file: %v", cp.format, err)
	}
	ln := &lines{text: string(content)}
	var out []hit
	for _, v := range vars {
		secret, ok := configSecret(v)
		if !ok {
			continue
		}
		lineText := ""
		if v.line > 0 {
			lineText = ln.text[ln.start(v.line-1):ln.end(v.line-1)]
		}
		out = append(out, hit{
			ruleID:      envVarRule,
			description: fmt.Sprintf("%s variable %s holds a literal secret", cp.format, v.name),
			line:        v.line,
			secret:      secret,
			allow:       inlineAllow(lineText),
			source:      sourceConfig,
			variable:    v.name,
		})
	}
	return out, nil
}

// configSecret decides whether a variable holds a literal secret and
// returns the secret part of its value.
func configSecret(v envVar) (string, bool) {
	value := strings.TrimSpace(v.value)
	if d, ok := variableDefault(value); ok {
		// serverless.yml's ${env:DB_PASSWORD, 'literal'}: the literal is
		// deployed wherever the variable is not set.
		value = d
	}
	if !v.literal || isReference(value) || nonSecretValue(value) || isExampleSecret(value) {
		return "", false
	}
	switch nameKind(v.name) {
	case nameSecret:
		return value, true
	case nameConnection:
		if pw := connectionPassword(value); pw != "" && !isReference(pw) && !isExampleSecret(pw) {
			return pw, true
		}
	}
	return "", false
}

// variableDefault gives the quoted literal a serverless variable falls back
// to, through chained and nested sources: ${env:A, env:B, 'literal'},
// ${opt:pw, ${env:PW, "literal"}}.
func variableDefault(v string) (string, bool) {
	for depth := 0; depth < 10; depth++ {
		inner, ok := strings.CutPrefix(v, "${")
		if !ok || !strings.HasSuffix(inner, "}") {
			return "", false
		}
		inner = inner[:len(inner)-1]
		// The fallback is what follows the last comma outside nested
		// ${...} and quotes.
		level, comma := 0, -1
		var quote byte
		for i := 0; i < len(inner); i++ {
			c := inner[i]
			switch {
			case quote != 0:
				if c == '\\' {
					i++
				} else if c == quote {
					quote = 0
				}
			case c == '\'' || c == '"':
				quote = c
			case c == '{':
				level++
			case c == '}':
				if level--; level < 0 {
					return "", false // ${a} ${b}: two variables, not one
				}
			case c == ',' && level == 0:
				comma = i
			}
		}
		if comma < 0 || quote != 0 {
			return "", false // no fallback, or a quote left open
		}
		v = strings.TrimSpace(inner[comma+1:])
		if len(v) >= 2 && (v[0] == '\'' || v[0] == '"') && v[len(v)-1] == v[0] {
			r := strings.NewReplacer(`\`+v[:1], v[:1], `\\`, `\`)
			return r.Replace(v[1 : len(v)-1]), true
		}
	}
	return "", false
}

type kind int

const (
	nameOther kind = iota
	nameSecret
	nameConnection
)

var (
	secretTokens = map[string]bool{
		"PASSWORD": true, "PASSWD": true, "PASS": true, "PWD": true, "SECRET": true,
		"SECRETS": true, "TOKEN": true, "CREDENTIAL": true, "CREDENTIALS": true,
		"CREDS": true, "PASSPHRASE": true, "APIKEY": true, "AUTH": true,
		"PRIVATEKEY": true, "SALT": true, "DBPASS": true, "DBPASSWORD": true,
	}
	secretPhrases = []string{
		"API_KEY", "PRIVATE_KEY", "ACCESS_KEY", "CLIENT_SECRET", "SIGNING_KEY",
		"ENCRYPTION_KEY", "MASTER_KEY", "SECRET_KEY", "APP_KEY", "AUTH_KEY",
		"SESSION_KEY", "JWT_KEY", "HMAC_KEY",
	}
	// Names ending like these hold identifiers, locations or settings.
	nonSecretSuffix = map[string]bool{
		"ARN": true, "NAME": true, "ID": true, "IDS": true, "URL": true, "URI": true,
		"PATH": true, "FILE": true, "ENDPOINT": true, "HOST": true, "PORT": true,
		"REGION": true, "TTL": true, "EXPIRY": true, "EXPIRATION": true, "EXPIRES": true,
		"LENGTH": true, "SIZE": true, "ENABLED": true, "TYPE": true, "HEADER": true,
		"ALGORITHM": true, "ALG": true, "PARAM": true, "PARAMETER": true, "FIELD": true,
		"POLICY": true, "ROLE": true, "TABLE": true, "BUCKET": true, "QUEUE": true,
		"TOPIC": true, "VERSION": true, "PREFIX": true, "LOCATION": true, "MODE": true,
		"COUNT": true, "TIMEOUT": true, "ISSUER": true, "AUDIENCE": true, "SCOPE": true,
		"SCOPES": true, "USER": true, "USERNAME": true, "EMAIL": true, "KEYID": true,
		"PROVIDER": true, "METHOD": true, "STRATEGY": true, "ROTATION": true,
	}
	connectionTokens = []string{"CONN", "CONNECTION_STRING", "CONNECTIONSTRING", "DATABASE_URL", "DB_URL", "DSN", "URI", "URL"}
)

// nameTokens splits "dbPassword", "DB_PASSWORD" and "db-password" alike
// into upper-case words.
func nameTokens(name string) []string {
	var out []string
	var cur []rune
	flush := func() {
		if len(cur) > 0 {
			out = append(out, strings.ToUpper(string(cur)))
			cur = cur[:0]
		}
	}
	rs := []rune(name)
	for i, r := range rs {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			flush()
			continue
		}
		if i > 0 && unicode.IsUpper(r) && (unicode.IsLower(rs[i-1]) || (i+1 < len(rs) && unicode.IsLower(rs[i+1]) && unicode.IsUpper(rs[i-1]))) {
			flush()
		}
		cur = append(cur, r)
	}
	flush()
	return out
}

func nameKind(name string) kind {
	toks := nameTokens(name)
	if len(toks) == 0 {
		return nameOther
	}
	joined := strings.Join(toks, "_")
	last := toks[len(toks)-1]
	if len(toks) >= 2 && toks[len(toks)-2] == "KEY" && last == "ID" {
		last = "KEYID"
	}
	isConn := false
	for _, c := range connectionTokens {
		if joined == c || strings.HasSuffix(joined, "_"+c) || strings.HasPrefix(joined, c+"_") || strings.Contains(joined, "_"+c+"_") {
			isConn = true
		}
	}
	if nonSecretSuffix[last] {
		if isConn {
			return nameConnection
		}
		return nameOther
	}
	for _, t := range toks {
		if secretTokens[t] {
			return nameSecret
		}
	}
	for _, p := range secretPhrases {
		if strings.Contains(joined, p) {
			return nameSecret
		}
	}
	if isConn {
		return nameConnection
	}
	return nameOther
}

const fetchedRef = `^arn:aws[\w-]*:(?:secretsmanager|ssm|kms):|^/aws/reference/`

var (
	urlPassword   = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*://[^\s:/@]+:([^\s/@]+)@`)
	paramPassword = regexp.MustCompile(`(?i)(?:^|;)\s*(?:password|pwd)\s*=\s*([^;]+)`)
	// fetchedRefRe: values the function fetches the secret with at run
	// time; referenceRe adds those resolved at deploy or from a variable.
	fetchedRefRe   = regexp.MustCompile(fetchedRef)
	referenceRe    = regexp.MustCompile(`\{\{resolve:|\$\{|` + fetchedRef + `|^(?:ssm|secretsmanager|vault):|^\$[A-Za-z_]\w*$`)
	ssmPathRe      = regexp.MustCompile(`^/[\w.\-]+(?:/[\w.\-]+)+/?$`)
	numberOrBoolRe = regexp.MustCompile(`(?i)^(?:true|false|yes|no|on|off|null|none|[-+]?[0-9]+(?:\.[0-9]+)?)$`)
)

func connectionPassword(v string) string {
	if m := urlPassword.FindStringSubmatch(v); m != nil {
		return m[1]
	}
	if m := paramPassword.FindStringSubmatch(v); m != nil {
		return strings.TrimSpace(m[1])
	}
	return ""
}

// isReference spots values that point at a secret store or another
// variable instead of holding the secret.
func isReference(v string) bool {
	return referenceRe.MatchString(v) || ssmPathRe.MatchString(v)
}

func nonSecretValue(v string) bool {
	return len(v) < 4 || numberOrBoolRe.MatchString(v)
}
