package secrets

import (
	"strings"
	"testing"
)

func TestEnvSecret(t *testing.T) {
	for _, tc := range []struct {
		name, value string
		want        bool
	}{
		{"DB_PASSWORD", "hunter2hunter2", true},
		{"DB_PASSWORD", "{{resolve:secretsmanager:db:SecretString:password}}", false},
		{"DB_PASSWORD", "${ssm:/prod/db/password}", false},
		{"TABLE_NAME", "orders-table-prod", false},
		{"DATABASE_URL", "postgres://app:s3cr3tpass@db:5432/app", true},
	} {
		red, ok := EnvSecret(tc.name, tc.value)
		if ok != tc.want {
			t.Errorf("EnvSecret(%q, %q) = %v, want %v", tc.name, tc.value, ok, tc.want)
		}
		if ok && (strings.Contains(red, "hunter2hunter2") || strings.Contains(red, "s3cr3tpass")) {
			t.Errorf("EnvSecret(%q) leaks the secret: %q", tc.name, red)
		}
	}
	if !SecretName("apiKey") || SecretName("ORDERS_TABLE") || SecretName("PAYMENT_PROCESS_URL") {
		t.Error("SecretName: apiKey should be secret-named, ORDERS_TABLE and PAYMENT_PROCESS_URL not")
	}
}
