package config

import "errors"

// Validator is a configuration that can check itself.
type Validator interface {
	Validate() error
}

// Daemon is the whole configuration of a daemon binary: its embeddable server's settings S plus
// the process settings its app package handles. Both are squashed, so every field is a top-level
// flag, environment variable and file key.
type Daemon[S Validator] struct {
	Server  S `mapstructure:",squash"`
	Process `mapstructure:",squash"`
}

// Validate reports every invalid setting of the server and the process, naming its flag.
func (d Daemon[S]) Validate() error {
	return errors.Join(d.Server.Validate(), d.Process.Validate())
}
