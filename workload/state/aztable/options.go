package aztable

import (
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore/policy"
)

// DefaultTimeout bounds one request to the table service (with its
// retries) when Options.Timeout is zero: a dead or hung store fails the
// call with state.ErrUnavailable after at most this long.
const DefaultTimeout = 5 * time.Second

// Options configure a Backend. Open takes them as they are: nothing is read
// from the environment here (the workload maps contract.Env* onto them).
type Options struct {
	// ServiceURL is the table service's URL: https://<account>.table.core.windows.net
	// in Azure (contract.EnvEndpoint), or an emulator's account URL such as
	// http://127.0.0.1:10002/devstoreaccount1. Plain http is allowed only to
	// a loopback address and with SharedKey (an emulator). Required; no
	// query string (SAS tokens are not supported).
	ServiceURL string
	// Table is the table's name (contract.EnvStore): 3 to 63 letters and
	// digits, starting with a letter. The table must exist (the cell
	// component creates it). Required.
	Table string
	// ClientID is the client id of the user-assigned managed identity to
	// authenticate as (contract.EnvIdentity). Zero: the default Azure
	// credential chain (the system-assigned identity in Azure; environment,
	// workload identity or the Azure CLI elsewhere). Ignored with SharedKey;
	// setting both is an error.
	ClientID string
	// SharedKey authenticates with a storage account key instead of
	// Microsoft Entra ID: for emulators such as azurite. Zero: Entra ID
	// (ClientID).
	SharedKey *SharedKey
	// Timeout bounds one request to the service, retries included. Zero:
	// DefaultTimeout.
	Timeout time.Duration
	// PerCallPolicies are extra azcore pipeline policies run once per call,
	// before retries: to record or meter the calls (the adapter's tests
	// record them to check its permissions). Zero: none.
	PerCallPolicies []policy.Policy
}

// SharedKey is a storage account's name and key.
type SharedKey struct {
	// Account is the storage account's name (azurite: devstoreaccount1).
	// Required.
	Account string
	// Key is the account key, base64 as Azure shows it. Required. It is
	// never printed or logged (see Secret).
	Key Secret
}

// Secret is a string that shows as "[redacted]" everywhere: fmt verbs,
// %#v, slog (inside structs too) and JSON.
type Secret string

const redacted = "[redacted]"

// String implements fmt.Stringer.
func (Secret) String() string { return redacted }

// GoString implements fmt.GoStringer.
func (Secret) GoString() string { return `"` + redacted + `"` }

// LogValue implements slog.LogValuer.
func (Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalText implements encoding.TextMarshaler (JSON and text encoders,
// slog's JSON handler for a struct holding a Secret).
func (Secret) MarshalText() ([]byte, error) { return []byte(redacted), nil }

// tableName is Azure's rule for table names.
var tableName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{2,62}$`)

// Validate reports every problem with the options at once, without I/O.
func (o Options) Validate() error {
	var errs []error
	add := func(field, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", field, fmt.Sprintf(format, args...)))
	}
	if o.ServiceURL == "" {
		add("service_url", "required: the table service URL, https://<account>.table.core.windows.net")
	} else if u, err := url.Parse(o.ServiceURL); err != nil {
		add("service_url", "%q is not a URL: %v", o.ServiceURL, err)
	} else {
		switch {
		case u.Host == "":
			add("service_url", "%q has no host: use https://<account>.table.core.windows.net", o.ServiceURL)
		case u.Scheme == "https":
		case u.Scheme == "http" && !loopback(u.Hostname()):
			add("service_url", "plain http is allowed only to a local emulator (127.0.0.1, ::1, localhost), not %s: use https", u.Hostname())
		case u.Scheme == "http" && o.SharedKey == nil:
			add("service_url", "plain http needs shared_key (an emulator): Entra ID tokens are never sent over http")
		case u.Scheme != "http":
			add("service_url", "scheme %q: use https", u.Scheme)
		}
		if u.RawQuery != "" || u.Fragment != "" {
			add("service_url", "has a query or fragment: give the bare service URL (SAS tokens are not supported)")
		}
	}
	switch {
	case o.Table == "":
		add("table", "required: the table's name (%s)", "CELLFABRIC_STATE_STORE")
	case !tableName.MatchString(o.Table):
		add("table", "%q: use 3 to 63 letters and digits, starting with a letter", o.Table)
	case strings.EqualFold(o.Table, "tables"):
		add("table", `"tables" is reserved by Azure: choose another name`)
	}
	if o.SharedKey != nil {
		if o.ClientID != "" {
			add("client_id", "set together with shared_key: choose one way to authenticate")
		}
		if o.SharedKey.Account == "" {
			add("shared_key.account", "required: the storage account's name")
		}
		if o.SharedKey.Key == "" {
			add("shared_key.key", "required: the account key")
		} else if _, err := base64.StdEncoding.DecodeString(string(o.SharedKey.Key)); err != nil {
			add("shared_key.key", "is not base64: copy the account key as Azure shows it")
		}
	}
	if o.Timeout < 0 {
		add("timeout", "%v is negative: use 0 for the default (%v)", o.Timeout, DefaultTimeout)
	}
	return errors.Join(errs...)
}

// withDefaults returns o with zero fields at their defaults.
func (o Options) withDefaults() Options {
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	return o
}

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
