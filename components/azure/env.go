package azure

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	app "github.com/pulumi/pulumi-azure-native-sdk/app/v2/v20240301"

	"github.com/cellfabric/cellfabric/components/cell"
	"github.com/cellfabric/cellfabric/fabric"
)

// Environment variables an Azure cell sets beyond the contract's: the
// workload needs the table's account endpoint (a table name alone does not
// locate it, unlike on AWS) and the client id of its user-assigned identity
// (which Azure SDK credentials read from AZURE_CLIENT_ID).
const (
	EnvStateEndpoint = "CELLFABRIC_STATE_ENDPOINT"
	EnvAzureClientID = "AZURE_CLIENT_ID"
)

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

// reservedEnv are the names the cell sets itself; cell.Args.Env may not set
// them (least of all the edge key in plain text).
var reservedEnv = []string{
	cell.EnvCellID, cell.EnvCloud, cell.EnvRegion, cell.EnvStateStore, cell.EnvEdgeKey,
	cell.EnvEdgeKeyID, cell.EnvEdgeKeys, cell.EnvPort, EnvStateEndpoint, EnvAzureClientID,
}

// containerEnv returns the container's environment, sorted by name: the
// contract's plain variables, cell.Args.Env, and the edge key (and the extra
// key, when there is one) as a reference to the Container App secret that
// points at Key Vault (never a value).
func containerEnv(w workloadEnv) ([]app.EnvironmentVar, error) {
	var clash []string
	for _, k := range reservedEnv {
		if _, ok := w.Extra[k]; ok {
			clash = append(clash, k)
		}
	}
	if len(clash) > 0 {
		return nil, fmt.Errorf("cell %q: env sets %s, which the cell sets itself; remove them (the edge key reaches the workload from Key Vault)",
			w.CellID, strings.Join(clash, ", "))
	}
	plain := map[string]string{
		cell.EnvCellID:     w.CellID,
		cell.EnvCloud:      string(fabric.Azure),
		cell.EnvRegion:     w.Region,
		cell.EnvStateStore: w.Table,
		cell.EnvEdgeKeyID:  w.KeyID,
		cell.EnvPort:       strconv.Itoa(w.Port),
		EnvStateEndpoint:   w.StateEndpoint,
		EnvAzureClientID:   w.ClientID,
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
