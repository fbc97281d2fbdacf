package celltest

import (
	"reflect"
	"strings"
	"testing"

	"github.com/cellfabric/cellfabric/components/recorder"
)

// TagLists sorts the resource types a cell records into those that take
// tags (or labels) and those that do not, so that a test can check every
// resource of the first kind and notice a type in neither.
type TagLists struct {
	// Field is the name of the tags field in the SDK's Args: "Tags" or
	// "Labels".
	Field string
	// Tagged maps each type token that takes Field to a zero value of its
	// SDK Args; nil where the test does not call MatchSDK.
	Tagged map[string]any
	// Untagged does the same for the types without Field.
	Untagged map[string]any
}

// MatchSDK fails t for every listed type whose SDK Args have Field when it
// is listed in Untagged, or lack it when listed in Tagged.
func (l TagLists) MatchSDK(t testing.TB) {
	t.Helper()
	for tagged, list := range map[bool]map[string]any{true: l.Tagged, false: l.Untagged} {
		for typ, args := range list {
			_, has := reflect.TypeOf(args).FieldByName(l.Field)
			if has != tagged {
				t.Errorf("%s is listed with tagged=%v but its Args have %s=%v", typ, tagged, l.Field, has)
			}
		}
	}
}

// Check calls check for every custom resource of rs whose type starts
// with prefix ("" for any), tagged saying which list holds its type. It
// fails t for a type in neither list and for a Tagged type of which rs
// holds no resource.
func (l TagLists) Check(t testing.TB, rs []*recorder.Resource, prefix string, check func(r *recorder.Resource, tagged bool)) {
	t.Helper()
	seen := map[string]bool{}
	for _, r := range rs {
		if !r.Custom || r.IsProvider() || !strings.HasPrefix(r.Type, prefix) {
			continue
		}
		seen[r.Type] = true
		_, tagged := l.Tagged[r.Type]
		if _, untagged := l.Untagged[r.Type]; !tagged && !untagged {
			t.Errorf("%s is in neither list of types with and without %s: classify it", r.Type, l.Field)
			continue
		}
		check(r, tagged)
	}
	for typ := range l.Tagged {
		if !seen[typ] {
			t.Errorf("no %s recorded: drop it from the list of types with %s, or build it", typ, l.Field)
		}
	}
}
