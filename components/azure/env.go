package azure

import (
	"fmt"
	"maps"
	"slices"
	"strconv"
	"strings"

	app "github.com/pulumi/pulumi-azure-native-sdk/app/v2/v20240301"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/fabric"
	"github.com/cellfabric/cellfabric/workload/state/contract"
)

// EnvAzureClientID is the client id of the workload's user-assigned
// identity under the name Azure SDK credentials read. The state port's
// Azure adapter reads it as contract.EnvIdentity, beside the table
// service's endpoint (contract.EnvEndpoint: a table name alone does not
// locate it, unlike on AWS).
const EnvAzureClientID = "AZURE_CLIENT_ID"

// workloadEnv is what the container's environment is built from.
type workloadEnv struct {
	CellID, Region, Table, KeyID string
	// ExtraKey adds CELLFABRIC_EDGE_KEYS, a reference to the extra edge key.
	ExtraKey                bool
	Port                    int
	StateEndpoint, ClientID string
	// Extra is cell.Args.Env.
	Extra map[string]string
}

// platformEnv are the names cell.Args.Env may not set besides
// cell.ReservedEnv (cell.CheckEnv), with who sets them: the identity's
// client id, and the edge keys, which reach the workload from Key Vault
// only (never in plain text).
var platformEnv = map[string]string{
	EnvAzureClientID: "set by the cell for Azure SDK credentials",
	cell.EnvEdgeKey:  "set by the cell from Key Vault",
	cell.EnvEdgeKeys: "set by the cell from Key Vault",
}

// containerEnv returns the container's environment, sorted by name: the
// contract's plain variables, cell.Args.Env, and the edge key (and the extra
// key, when there is one) as a reference to the Container App secret that
// points at Key Vault (never a value).
func containerEnv(w workloadEnv) ([]app.EnvironmentVar, error) {
	if err := cell.CheckEnv(slices.Collect(maps.Keys(w.Extra)), platformEnv); err != nil {
		return nil, fmt.Errorf("cell %q: Env: %w", w.CellID, err)
	}
	plain := map[string]string{
		cell.EnvCellID:       w.CellID,
		cell.EnvCloud:        string(fabric.Azure),
		cell.EnvRegion:       w.Region,
		cell.EnvEdgeKeyID:    w.KeyID,
		cell.EnvPort:         strconv.Itoa(w.Port),
		contract.EnvKind:     string(contract.AzureTable),
		contract.EnvStore:    w.Table,
		contract.EnvEndpoint: w.StateEndpoint,
		contract.EnvIdentity: w.ClientID,
		EnvAzureClientID:     w.ClientID,
	}
	for k, v := range w.Extra {
		plain[k] = v
	}
	out := make([]app.EnvironmentVar, 0, len(plain)+1)
	for k, v := range plain {
		out = append(out, app.EnvironmentVar{Name: ptr(k), Value: ptr(v)})
	}
	out = append(out, app.EnvironmentVar{Name: ptr(cell.EnvEdgeKey), SecretRef: ptr(edgeKeySecretName)})
	if w.ExtraKey {
		out = append(out, app.EnvironmentVar{Name: ptr(cell.EnvEdgeKeys), SecretRef: ptr(extraEdgeKeySecretName)})
	}
	slices.SortFunc(out, func(a, b app.EnvironmentVar) int { return strings.Compare(*a.Name, *b.Name) })
	return out, nil
}

func ptr[T any](v T) *T { return &v }
