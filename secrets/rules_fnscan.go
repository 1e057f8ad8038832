package secrets

import (
	"regexp"

	"github.com/zricethezav/gitleaks/v8/config"
)

// fnscan's own rules close gaps in gitleaks' default set that matter for
// deployed functions: plain passwords in config files, credentials in
// URLs, password hashes and a few key formats. All but the key formats are
// low-confidence and so are ignored in vendored code.
func fnscanRules() []*rule {
	// A key that ends in a secret-ish word, then an operator, then the
	// value. The match starts at the word: a leading [\w.-]* would only
	// slow the regex down.
	const passwordKey = `(?:passw(?:or)?d|pass|pwd|passphrase)`
	const secretKey = `(?:passw(?:or)?d|pass|pwd|passphrase|secret|secret_?key|auth_?key|_auth|auth_?token|token|api_?key|access_?key|private_?key|credentials?|salt)`
	// The operator; a comma only right after a quoted key, as in PHP's
	// define('DB_PASSWORD', 'x'), not between list items.
	const op = `(?:["']?[ \t]*(?:=>|:=|=|:)|["'][ \t]*,)[ \t]*`
	const quoted = `(?:"([^"\r\n]{4,200})"|'([^'\r\n]{4,200})')`
	codeValue := &config.Allowlist{
		// Values that are code, references, constants or format strings.
		Regexes: []*regexp.Regexp{
			regexp.MustCompile(`^(?:process\.env|os\.environ|os\.getenv|env\.|self\.|this\.|config\.|settings\.)`),
			regexp.MustCompile(`^[%$@]`),
			regexp.MustCompile(`^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+$|^__\w+__$`),
			regexp.MustCompile(`^(?i:true|false|null|nil|none|undefined|required|optional|string|bearer|basic)$`),
		},
	}
	// In YAML a value that starts with "!" is a tag, not text: !Ref DbPassword,
	// !Sub '{{resolve:...}}', !ImportValue x, !vault | ... (the recommended
	// ways to keep a secret out of a template).
	// Only after YAML's own ":" (a shell line in a run: block is text).
	yamlTag := &config.Allowlist{
		MatchCondition: config.AllowlistMatchAnd,
		Paths:          []*regexp.Regexp{regexp.MustCompile(`(?i)\.(?:ya?ml|template)$`)},
		RegexTarget:    "match",
		Regexes:        []*regexp.Regexp{regexp.MustCompile(`:[ \t]*![^!]`)},
	}
	// Outside password keys a word is a label, not a secret.
	wordValue := &config.Allowlist{
		Regexes: []*regexp.Regexp{regexp.MustCompile(`^[A-Za-z_.-]+$|^[a-z]+(?:[A-Z][a-z]+)+$`)},
	}
	// A sentence about the password is a message (a validation error, a
	// form label, a translation), not the password: "Password is required",
	// "Password must contain a digit".
	// It speaks of the password (its first words name it) and goes on
	// like a sentence: a passphrase ("my horse is purple 7!") does not.
	messageValue := &config.Allowlist{
		Regexes: []*regexp.Regexp{regexp.MustCompile(`(?i)^(?:(?:the|your|new|current|old|confirm(?:ed)?)\s+)?pass(?:word|phrase|wd)?s?\b\s+(?:is|are|must|should|do|does|did|has|have|can|cannot|can't|doesn't|don't|was|were|will|not|too|required|invalid|mismatch|reset|changed|updated)\b`)},
	}
	// A field's name or type, or a placeholder: { password: "password" },
	// { password: "missing" } in an error body.
	fieldValue := &config.Allowlist{
		Regexes: []*regexp.Regexp{regexp.MustCompile(`(?i)^(?:password|passwd|pass|pwd|text|hidden|string|missing|required|null|none|undefined|empty)$`)},
	}
	passwordKeywords := []string{"pass", "pwd"}
	secretKeywords := []string{"pass", "pwd", "secret", "auth", "token", "api_key", "apikey", "accesskey", "access_key", "private_key", "privatekey", "credential", "salt"}
	return []*rule{
		{
			id:          "password-assignment",
			description: "Literal password assigned to a password-named key",
			re:          newPattern(`(?i)` + passwordKey + op + quoted),
			keywords:    passwordKeywords,
			allowlists:  []*config.Allowlist{codeValue, messageValue, fieldValue},
			low:         true,
		},
		{
			id:          "secret-assignment",
			description: "Literal secret assigned to a secret-named key",
			re:          newPattern(`(?i)` + secretKey + op + quoted),
			keywords:    secretKeywords,
			entropy:     3,
			allowlists:  []*config.Allowlist{codeValue, wordValue, messageValue},
			low:         true,
		},
		{
			id:          "password-assignment-unquoted",
			description: "Literal password or secret in a configuration file",
			// A YAML core tag (!!str) is skipped: the text after it is the value.
			re: newPattern(`(?im)^[ \t]*(?:export[ \t]+)?[\w.-]{0,40}?` + secretKey + `[ \t]*[=:][ \t]*(?:!![\w]+[ \t]+)?([^\s"'#;]{4,200})`),
			// Config-like files only: no extension, dotfiles and config
			// extensions. In code an unquoted value is an expression.
			path:       regexp.MustCompile(`(?i)(?:\.(?:ini|cfg|conf|config|properties|env|toml|txt|sh|bash|zsh|rc|cnf|ya?ml|npmrc)|(?:^|/)[^./]+|(?:^|/)\.[^/]+)$`),
			keywords:   secretKeywords,
			allowlists: []*config.Allowlist{codeValue, yamlTag},
			low:        true,
		},
		{
			id:          "password-xml-element",
			description: "Literal password in an XML element",
			re:          newPattern(`(?i)<(?:pass|password|passwd|pwd)(?:\s[^>]*)?>([^<\s]{4,200})</`),
			keywords:    []string{"<pass", "<pwd"},
			allowlists:  []*config.Allowlist{codeValue},
			low:         true,
		},
		{
			id:          "netrc-password",
			description: "Password in a netrc-style credentials file",
			re:          newPattern(`(?i)\bpass(?:word)?[ \t]+"?([^\s"]{3,200})"?`),
			path:        regexp.MustCompile(`(?i)(?:^|/)[._]?(?:netrc|esmtprc|msmtprc|fetchmailrc|authinfo)$`),
			keywords:    []string{"pass"},
			low:         true,
		},
		{
			id:          "login-call-password",
			description: "Password passed literally to a login call",
			re:          newPattern(`\.(?:login|auth|authenticate|connect|createConnection)\(\s*["'][^"'\r\n]+["']\s*,\s*["']([^"'\r\n]{4,200})["']`),
			keywords:    []string{"login(", "auth(", "authenticate(", "connect(", "createconnection("},
			low:         true,
		},
		{
			id:          "url-credentials",
			description: "Password embedded in a URL",
			re:          newPattern(`(?i)\b[a-z][a-z0-9+.-]{1,20}://[^\s:/"'<>]{1,100}:([^\s/"'<>]{3,100})@[\w.-]+`),
			keywords:    []string{"://"},
			allowlists:  []*config.Allowlist{codeValue},
			low:         true,
		},
		{
			id:          "password-hash",
			description: "Unix crypt or bcrypt password hash",
			re:          newPattern(`(\$(?:1|5|6|apr1)\$[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{16,}|\$2[abxy]?\$\d{2}\$[./A-Za-z0-9]{53})`),
			keywords:    []string{"$1$", "$5$", "$6$", "$apr1$", "$2$", "$2a$", "$2b$", "$2x$", "$2y$"},
			low:         true,
		},
		{
			id:          "pgpass-password",
			description: "Password in a PostgreSQL .pgpass file",
			re:          newPattern(`(?m)^[^#\s:][^:\r\n]*:[^:\r\n]*:[^:\r\n]*:[^:\r\n]*:([^\r\n]+)`),
			path:        regexp.MustCompile(`(?:^|/)\.pgpass$`),
		},
		{
			id:          "putty-private-key",
			description: "PuTTY private key",
			re:          newPattern(`(?s)PuTTY-User-Key-File-\d+:.{0,1000}?Private-Lines:\s*\d+\s+([A-Za-z0-9+/=]{40,})`),
			keywords:    []string{"putty-user-key-file-"},
		},
		{
			id:          "rails-master-key",
			description: "Rails master key",
			re:          newPattern(`\b([a-f0-9]{32})\b`),
			path:        regexp.MustCompile(`(?:^|/)config/(?:master|credentials/[\w-]+)\.key$`),
		},
	}
}
