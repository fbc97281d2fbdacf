package fabric

// Cloud names a cloud provider a cell can run on.
type Cloud string

// The clouds cellfabric builds cells on.
const (
	AWS   Cloud = "aws"
	Azure Cloud = "azure"
	GCP   Cloud = "gcp"
)

// Clouds lists the supported clouds in their canonical order: the order of
// every deterministic output, and of the two ends of a VPN pair (the end on
// the earlier cloud is end A).
var Clouds = []Cloud{AWS, Azure, GCP}

// Valid reports whether c is one of Clouds.
func (c Cloud) Valid() bool { return c.Rank() >= 0 }

// Rank is c's position in Clouds, or -1 for an unknown cloud.
func (c Cloud) Rank() int {
	for i, k := range Clouds {
		if k == c {
			return i
		}
	}
	return -1
}
