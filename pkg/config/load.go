// Package config loads a daemon's configuration from, in falling order of precedence, command-line
// flags, environment variables, a YAML file and the flags' defaults.
//
// A daemon describes its configuration once, as flags on a *pflag.FlagSet, and decodes into a
// struct whose `mapstructure` tags are the flag names. The same names are the environment variables
// (KEELSON_<COMPONENT>_<FLAG>, upper-cased, "-" as "_") and the keys of the YAML file named by
// --config. Nothing else in Keelson imports viper.
package config

import (
	"errors"
	"fmt"
	"reflect"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/pflag"
	"github.com/spf13/viper"
)

// FileFlag is the flag that names the YAML configuration file. A daemon that defines it on its flag
// set gets file support; its value may itself come from the environment.
const FileFlag = "config"

// EnvVar returns the environment variable that sets flag for component, for example
// EnvVar("controller-manager", "leader-elect") is KEELSON_CONTROLLER_MANAGER_LEADER_ELECT.
func EnvVar(component, flag string) string {
	r := strings.NewReplacer("-", "_", ".", "_")
	return "KEELSON_" + strings.ToUpper(r.Replace(component)) + "_" + strings.ToUpper(r.Replace(flag))
}

// Load parses args into fs, layers the environment and the --config file under the flags that
// were set, and decodes the result into out, which must be a pointer to a struct whose
// `mapstructure` tags name exactly the flags of fs (untagged fields are left alone). Durations are
// written like "10s"; string slices as YAML lists or comma-separated strings.
//
// Load fails, naming the culprit, on a bad argument, an unreadable file, a file key that is no
// flag, a value that does not fit its field, or a mismatch between the flags and out. It returns
// an error wrapping pflag.ErrHelp when args ask for help. out is only written on success.
func Load(component string, fs *pflag.FlagSet, args []string, out any) error {
	if err := fs.Parse(args); err != nil {
		return fmt.Errorf("parse %s flags: %w", component, err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s takes no arguments, got %q", component, fs.Args())
	}

	v := viper.New()
	if err := v.BindPFlags(fs); err != nil {
		return fmt.Errorf("bind %s flags: %w", component, err)
	}
	var bindErr error
	fs.VisitAll(func(f *pflag.Flag) {
		bindErr = errors.Join(bindErr, v.BindEnv(f.Name, EnvVar(component, f.Name)))
	})
	if bindErr != nil {
		return fmt.Errorf("bind %s environment: %w", component, bindErr)
	}

	if fs.Lookup(FileFlag) != nil {
		if path := v.GetString(FileFlag); path != "" {
			if err := mergeFile(v, fs, path); err != nil {
				return err
			}
		}
	}
	return decode(component, v, out)
}

// mergeFile reads the YAML file at path into v's configuration layer, refusing keys that are not
// flags so that a misspelled key is not silently ignored.
func mergeFile(v *viper.Viper, fs *pflag.FlagSet, path string) error {
	fv := viper.New()
	fv.SetConfigFile(path)
	fv.SetConfigType("yaml")
	if err := fv.ReadInConfig(); err != nil {
		return fmt.Errorf("read config file %s: %w", path, err)
	}
	for _, key := range fv.AllKeys() {
		if key == FileFlag {
			return fmt.Errorf("config file %s: key %q cannot be set from a config file", path, key)
		}
		if fs.Lookup(key) == nil {
			return fmt.Errorf("config file %s: unknown key %q", path, key)
		}
	}
	if err := v.MergeConfigMap(fv.AllSettings()); err != nil {
		return fmt.Errorf("merge config file %s: %w", path, err)
	}
	return nil
}

// decode fills out from v. It decodes into a fresh value first so out is untouched on failure.
func decode(component string, v *viper.Viper, out any) error {
	rv := reflect.ValueOf(out)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || rv.Elem().Kind() != reflect.Struct {
		return fmt.Errorf("decode %s configuration: want a non-nil pointer to a struct, got %T", component, out)
	}
	tmp := reflect.New(rv.Elem().Type())
	err := v.Unmarshal(tmp.Interface(), func(dc *mapstructure.DecoderConfig) {
		dc.DecodeHook = mapstructure.ComposeDecodeHookFunc(
			mapstructure.StringToTimeDurationHookFunc(),
			stringToSlice,
		)
		dc.WeaklyTypedInput = true // environment values arrive as strings
		dc.ErrorUnused = true      // a flag with no field
		dc.ErrorUnset = true       // a field with no flag
		// A field without a tag (a clock that tests inject, say) is not configuration.
		dc.IgnoreUntaggedFields = true
	})
	if err != nil {
		return fmt.Errorf("decode %s configuration: %w", component, err)
	}
	rv.Elem().Set(tmp.Elem())
	return nil
}

// stringToSlice splits a comma-separated string into a []string, trimming spaces and dropping
// empty elements, so "a, b," from the environment or a file means [a b].
func stringToSlice(from, to reflect.Type, data any) (any, error) {
	if from.Kind() != reflect.String || to != reflect.TypeFor[[]string]() {
		return data, nil
	}
	var out []string
	for s := range strings.SplitSeq(data.(string), ",") {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out, nil
}
