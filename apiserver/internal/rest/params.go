package rest

import (
	"net/url"
	"strconv"

	"github.com/keelson-dev/keelson/pkg/apierrors"
)

// queryBool reads the boolean query parameter name. Absent or empty is false; a value is read
// with strconv.ParseBool's spellings (1, t, T, TRUE, true, True and their false counterparts), so
// every client's way of writing a boolean is understood; anything else is a BadRequest naming the
// parameter and the value, rather than a silent false that would, say, serve a watch as a list.
func queryBool(q url.Values, name string) (bool, error) {
	s := q.Get(name)
	if s == "" {
		return false, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return false, apierrors.NewBadRequest("invalid %s %q: must be a boolean (true or false)", name, s)
	}
	return b, nil
}
