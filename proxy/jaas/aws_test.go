package jaas

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestAWSMSKIAM checks the wiring of AWS_MSK_IAM without MSK, which this
// machine cannot reach: the credentials each configuration yields end up in
// the signed first message franz-go sends. (The signature itself is
// franz-go's pkg/sasl/aws, tested there.)
func TestAWSMSKIAM(t *testing.T) {
	dir := t.TempDir()
	creds := filepath.Join(dir, "credentials")
	if err := os.WriteFile(creds, []byte("[krest]\naws_access_key_id = AKIDPROFILE\naws_secret_access_key = profile-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	sts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := r.ParseForm(); err != nil || r.Form.Get("Action") != "AssumeRole" || r.Form.Get("RoleArn") != "arn:aws:iam::123456789012:role/krest" || r.Form.Get("RoleSessionName") != "krest-session" {
			w.WriteHeader(400)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		fmt.Fprint(w, `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials>`+
			`<AccessKeyId>ASIAROLE</AccessKeyId><SecretAccessKey>role-secret</SecretAccessKey><SessionToken>role-token</SessionToken>`+
			`<Expiration>2099-01-01T00:00:00Z</Expiration></Credentials><AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/krest/krest-session</Arn>`+
			`<AssumedRoleId>AROA:krest-session</AssumedRoleId></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>1</RequestId></ResponseMetadata></AssumeRoleResponse>`)
	}))
	defer sts.Close()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": "AKIDENV", "AWS_SECRET_ACCESS_KEY": "env-secret", "AWS_SESSION_TOKEN": "env-token",
		"AWS_SHARED_CREDENTIALS_FILE": creds, "AWS_CONFIG_FILE": filepath.Join(dir, "config"),
		"AWS_EC2_METADATA_DISABLED": "true", "AWS_REGION": "us-east-1", "AWS_ENDPOINT_URL_STS": sts.URL,
	} {
		t.Setenv(k, v)
	}
	const host = "b-1.krest.abc123.c2.kafka.eu-west-1.amazonaws.com"
	tests := []struct {
		name      string
		jaas      string
		wantKey   string
		wantToken string
		wantErr   string
	}{
		{"default chain (environment)", iamModule + " required;", "AKIDENV", "env-token", ""},
		{"profile", iamModule + ` required awsProfileName="krest";`, "AKIDPROFILE", "", ""},
		{"assumed role", iamModule + ` required awsRoleArn="arn:aws:iam::123456789012:role/krest" awsRoleSessionName="krest-session";`, "ASIAROLE", "role-token", ""},
		{"missing profile", iamModule + ` required awsProfileName="nobody";`, "", "", "client.sasl.jaas.config: AWS configuration: failed to get shared config profile, nobody"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _, err := Mechanism(props("sasl.mechanism", "AWS_MSK_IAM", "sasl.jaas.config", tt.jaas,
				"sasl.client.callback.handler.class", iamHandler))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.Name() != "AWS_MSK_IAM" {
				t.Fatalf("mechanism %s", m.Name())
			}
			_, first, err := m.Authenticate(context.Background(), host+":9098")
			if err != nil {
				t.Fatal(err)
			}
			var msg map[string]string
			if err := json.Unmarshal(first, &msg); err != nil {
				t.Fatalf("first message %s: %v", first, err)
			}
			if !strings.HasPrefix(msg["x-amz-credential"], tt.wantKey+"/") || !strings.Contains(msg["x-amz-credential"], "/eu-west-1/kafka-cluster/aws4_request") ||
				msg["x-amz-security-token"] != tt.wantToken || msg["host"] != host || msg["action"] != "kafka-cluster:Connect" {
				t.Fatalf("first message %s", first)
			}
			for _, secret := range []string{"env-secret", "profile-secret", "role-secret"} {
				if strings.Contains(string(first), secret) {
					t.Fatalf("the secret key was sent: %s", first)
				}
			}
		})
	}
}
