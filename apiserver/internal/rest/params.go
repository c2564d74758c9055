package rest

import (
	"net/url"

	"github.com/keelson-dev/keelson/pkg/apierrors"
	"github.com/keelson-dev/keelson/pkg/queryparam"
)

// queryBool reads the boolean query parameter name as queryparam.Bool does; a value that is no
// boolean is a BadRequest naming the parameter and the value.
func queryBool(q url.Values, name string) (bool, error) {
	b, err := queryparam.Bool(q, name)
	if err != nil {
		return false, apierrors.NewBadRequest("%v", err)
	}
	return b, nil
}
