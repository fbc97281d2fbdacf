package aws

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"

	"github.com/cellfabric/cellfabric/components/cell"
)

// containerName is the name of the cell's one container in its task.
const containerName = "cell"

// containerSpec is what the container definition is made of, resolved.
type containerSpec struct {
	Image     string
	Port      int
	Env       map[string]string // contract variables plus cell.Args.Env
	SecretARN string            // the edge key secret
	// ExtraSecretARN is the extra edge key's secret, "" without one.
	ExtraSecretARN string
	LogGroup       string
	Region         string
}

// The subset of the ECS container definition schema the cell uses.
type containerDef struct {
	Name             string       `json:"name"`
	Image            string       `json:"image"`
	Essential        bool         `json:"essential"`
	PortMappings     []portMap    `json:"portMappings"`
	Environment      []nameValue  `json:"environment"`
	Secrets          []nameSecret `json:"secrets"`
	LogConfiguration logConfig    `json:"logConfiguration"`
}

type portMap struct {
	ContainerPort int    `json:"containerPort"`
	Protocol      string `json:"protocol"`
}

type nameValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type nameSecret struct {
	Name      string `json:"name"`
	ValueFrom string `json:"valueFrom"`
}

type logConfig struct {
	LogDriver string            `json:"logDriver"`
	Options   map[string]string `json:"options"`
}

// workloadEnv merges the contract's variables with the caller's extra ones,
// refusing any extra one that would shadow a variable the cell sets
// (cell.CheckEnv).
func workloadEnv(contract, extra map[string]string) (map[string]string, error) {
	if err := cell.CheckEnv(slices.Collect(maps.Keys(extra)), nil); err != nil {
		return nil, err
	}
	env := maps.Clone(extra)
	if env == nil {
		env = map[string]string{}
	}
	maps.Copy(env, contract)
	return env, nil
}

// containerDefinitions renders the task's container definitions JSON: the
// image, its port, plain environment sorted by name, the edge key (and the
// extra key, when there is one) as a Secrets Manager reference (ECS reads it
// at start; it never appears in the task definition) and logs to the cell's
// log group, one event per line, without blocking the container.
func containerDefinitions(s containerSpec) (string, error) {
	env := make([]nameValue, 0, len(s.Env))
	for _, k := range slices.Sorted(maps.Keys(s.Env)) {
		env = append(env, nameValue{Name: k, Value: s.Env[k]})
	}
	secrets := []nameSecret{{Name: cell.EnvEdgeKey, ValueFrom: s.SecretARN}}
	if s.ExtraSecretARN != "" {
		secrets = append(secrets, nameSecret{Name: cell.EnvEdgeKeys, ValueFrom: s.ExtraSecretARN})
	}
	defs := []containerDef{{
		Name:         containerName,
		Image:        s.Image,
		Essential:    true,
		PortMappings: []portMap{{ContainerPort: s.Port, Protocol: "tcp"}},
		Environment:  env,
		Secrets:      secrets,
		LogConfiguration: logConfig{
			LogDriver: "awslogs",
			Options: map[string]string{
				"awslogs-group":         s.LogGroup,
				"awslogs-region":        s.Region,
				"awslogs-stream-prefix": containerName,
				// The container's writes to stdout and stderr never wait
				// for CloudWatch: the driver buffers lines and drops them
				// when its buffer is full, rather than stall the cell's
				// requests behind their log lines. ECS's default since
				// June 2025, but an account setting (defaultLogDriverMode)
				// can make it blocking, so it is pinned here.
				"mode": "non-blocking",
			},
		},
	}}
	out, err := json.Marshal(defs)
	if err != nil {
		return "", fmt.Errorf("rendering the container definitions: %w", err)
	}
	return string(out), nil
}
