package azure

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
)

// names are the physical names of a cell's Azure resources. Azure caps many
// names well below Pulumi's autonames (logical name plus a random suffix),
// and the storage account and the key vault are global, so every name is set
// here, in one place, from the project, stack and cell id.
type names struct {
	ResourceGroup  string // subscription-wide: rg-cellfabric-<stack>-<cell>
	VNet           string // per resource group
	NSG            string
	Workspace      string
	Environment    string
	App            string
	Identity       string
	StorageAccount string // global: st<cell, alphanumerics>{hash}
	Table          string
	Vault          string // global: kv-<cell>-{hash}
	Secret         string
	ExtraSecret    string // only with an extra edge key
	StateRole      string // tenant-wide: cellfabric-state-<cell>-{hash}, the custom role's name
}

// Limits of the names above (CLOUD-FACTS Part 2; resource-name-rules).
const (
	maxResourceGroup  = 90
	maxStorageAccount = 24
	maxVault          = 24
	maxApp            = 32
	maxEnvironment    = 60
	maxWorkspace      = 63
	maxTable          = 63
	maxVNet           = 64
	maxNSG            = 80
	maxIdentity       = 128
	maxRoleName       = 512
	hashLen           = 8
)

// edgeKeySecretName is the Key Vault secret that holds the edge key, and the
// name of the Container App secret that references it.
const edgeKeySecretName = "edge-key"

// extraEdgeKeySecretName is the same for the extra edge key of a rotation.
const extraEdgeKeySecretName = "edge-key-extra"

// deriveNames returns the names of one cell's resources. project and stack
// feed a short hash that makes the global names (storage account, vault)
// unique per deployment of the same cell id; the other names live inside
// the cell's own resource group and need no hash.
func deriveNames(project, stack, cellID string) names {
	h := shortHash(project + "/" + stack + "/" + cellID)
	id := collapseHyphens(cellID)
	alnum := strings.ReplaceAll(cellID, "-", "")
	return names{
		ResourceGroup:  resourceGroupName(stack, id),
		VNet:           "vnet-" + id,
		NSG:            "nsg-" + id + "-apps",
		Workspace:      "log-" + id,
		Environment:    "cae-" + id,
		App:            "ca-" + id,
		Identity:       "id-" + id,
		StorageAccount: "st" + truncate(alnum, maxStorageAccount-2-hashLen) + h,
		Table:          "state" + alnum,
		Vault:          "kv-" + strings.TrimRight(truncate(id, maxVault-4-hashLen), "-") + "-" + h,
		Secret:         edgeKeySecretName,
		ExtraSecret:    extraEdgeKeySecretName,
		// A custom role's name is unique in the whole Entra tenant: the
		// hash keeps two deployments of one cell id apart.
		StateRole: "cellfabric-state-" + id + "-" + h,
	}
}

// resourceGroupName is rg-cellfabric-<stack>-<cell>. Characters a resource
// group can't hold become hyphens; a stack name too long to fit is cut and
// given a hash so that two long stacks sharing a prefix still differ.
func resourceGroupName(stack, id string) string {
	const prefix = "rg-cellfabric-"
	s := rgUnsafe.ReplaceAllString(stack, "-")
	room := maxResourceGroup - len(prefix) - 1 - len(id)
	if len(s) > room {
		s = s[:room-1-hashLen] + "-" + shortHash(stack)
	}
	return prefix + s + "-" + id
}

var rgUnsafe = regexp.MustCompile(`[^A-Za-z0-9_.()-]`)

// shortHash is hashLen lowercase hex characters of SHA-256(s).
func shortHash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])[:hashLen]
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// collapseHyphens turns runs of hyphens into one: a valid cell id may hold
// "--", which container app and key vault names may not.
func collapseHyphens(s string) string {
	for strings.Contains(s, "--") {
		s = strings.ReplaceAll(s, "--", "-")
	}
	return s
}

// nameRule is one Azure naming rule, checked by validate.
type nameRule struct {
	field string
	value string
	max   int
	re    *regexp.Regexp
	what  string
}

var (
	reRG        = regexp.MustCompile(`^[A-Za-z0-9_.()-]*[A-Za-z0-9_()-]$`)
	reStorage   = regexp.MustCompile(`^[a-z0-9]{3,}$`)
	reVault     = regexp.MustCompile(`^[A-Za-z]([A-Za-z0-9-]*[A-Za-z0-9])?$`)
	reApp       = regexp.MustCompile(`^[a-z]([a-z0-9-]*[a-z0-9])?$`)
	reWorkspace = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9-]{2,}[A-Za-z0-9]$`)
	reTable     = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{2,}$`)
	reGeneric   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]*[A-Za-z0-9_]$`)
)

// validate checks every name against Azure's rules and reports every
// violation at once. deriveNames never breaks them for a valid cell id; the
// check is the executable form of the rules the derivation relies on.
func (n names) validate() error {
	rules := []nameRule{
		{"resource group", n.ResourceGroup, maxResourceGroup, reRG, "letters, digits, _ . ( ) -, not ending in ."},
		{"storage account", n.StorageAccount, maxStorageAccount, reStorage, "3+ lowercase letters and digits"},
		{"key vault", n.Vault, maxVault, reVault, "letters, digits and hyphens, starting with a letter, ending alphanumeric"},
		{"container app", n.App, maxApp, reApp, "lowercase letters, digits and hyphens, starting with a letter, ending alphanumeric"},
		{"container apps environment", n.Environment, maxEnvironment, reApp, "lowercase letters, digits and hyphens"},
		{"log analytics workspace", n.Workspace, maxWorkspace, reWorkspace, "4+ letters, digits and hyphens, alphanumeric at both ends"},
		{"table", n.Table, maxTable, reTable, "3+ letters and digits, starting with a letter"},
		{"virtual network", n.VNet, maxVNet, reGeneric, "letters, digits, _ . -"},
		{"network security group", n.NSG, maxNSG, reGeneric, "letters, digits, _ . -"},
		{"managed identity", n.Identity, maxIdentity, reGeneric, "letters, digits, _ . -"},
		{"custom role", n.StateRole, maxRoleName, reGeneric, "letters, digits, _ . -"},
	}
	var bad []string
	for _, r := range rules {
		switch {
		case len(r.value) > r.max:
			bad = append(bad, fmt.Sprintf("%s name %q is %d characters; the limit is %d", r.field, r.value, len(r.value), r.max))
		case !r.re.MatchString(r.value):
			bad = append(bad, fmt.Sprintf("%s name %q breaks Azure's rule: %s", r.field, r.value, r.what))
		}
	}
	if strings.Contains(n.Vault, "--") || strings.Contains(n.App, "--") {
		bad = append(bad, fmt.Sprintf("key vault %q or container app %q holds \"--\"", n.Vault, n.App))
	}
	if strings.EqualFold(n.Table, "tables") {
		bad = append(bad, `table name "tables" is reserved`)
	}
	if len(bad) > 0 {
		return fmt.Errorf("azure resource names: %s", strings.Join(bad, "; "))
	}
	return nil
}
