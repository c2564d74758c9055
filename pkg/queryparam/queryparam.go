// Package queryparam reads the query parameters of Keelson's HTTP APIs (the apiserver's REST API
// and the kubelet's) the one way both read them: strictly, naming the parameter of a value that
// cannot be read, rather than taking a typo for a default.
package queryparam

import (
	"fmt"
	"net/url"
	"strconv"
)

// Error says a query parameter's value could not be read at all: a boolean that is no boolean, a
// number that is not an integer, a time that is not RFC 3339. Servers answer it with a BadRequest.
type Error struct {
	// Param is the parameter's name, Value what it held.
	Param, Value string
	// Want says what the value must be.
	Want string
}

// Error says which parameter is bad and why.
func (e *Error) Error() string {
	return fmt.Sprintf("invalid value %q for %s: must be %s", e.Value, e.Param, e.Want)
}

// Bool reads the boolean query parameter name. Absent or empty is false; a value is read with
// strconv.ParseBool's spellings (1, t, T, TRUE, true, True and their false counterparts), so every
// client's way of writing a boolean is understood; anything else is an *Error naming the parameter
// and the value, rather than a silent false that would, say, serve a watch as a list.
func Bool(q url.Values, name string) (bool, error) {
	s := q.Get(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, &Error{Param: name, Value: s, Want: "a boolean (true or false)"}
	}
	return b, nil
}
