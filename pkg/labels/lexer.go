package labels

// tokenKind classifies a lexed token.
type tokenKind int

const (
	tokEnd          tokenKind = iota // end of input
	tokIdentifier                    // a key, a value, or the words in and notin
	tokComma                         // ,
	tokOpenParen                     // (
	tokCloseParen                    // )
	tokNot                           // !
	tokEquals                        // =
	tokDoubleEquals                  // ==
	tokNotEquals                     // !=
	tokGreater                       // >
	tokLess                          // <
)

type token struct {
	kind tokenKind
	text string
}

// describe returns the token as error messages show it.
func (t token) describe() string {
	if t.kind == tokEnd {
		return "end of string"
	}
	return t.text
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func isSymbol(c byte) bool {
	switch c {
	case '=', '!', '(', ')', ',', '>', '<':
		return true
	}
	return false
}

// lex splits a selector into tokens, ending with a tokEnd token. Symbols are read greedily, so
// "!=" is one token; anything that is neither a symbol nor white space is part of an identifier.
func lex(s string) []token {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case isSpace(c):
			i++
		case isSymbol(c):
			tok := symbolAt(s, i)
			toks = append(toks, tok)
			i += len(tok.text)
		default:
			start := i
			for i < len(s) && !isSpace(s[i]) && !isSymbol(s[i]) {
				i++
			}
			toks = append(toks, token{kind: tokIdentifier, text: s[start:i]})
		}
	}
	return append(toks, token{kind: tokEnd})
}

// symbolAt returns the longest symbol token starting at s[i].
func symbolAt(s string, i int) token {
	if i+1 < len(s) && s[i+1] == '=' {
		switch s[i] {
		case '=':
			return token{kind: tokDoubleEquals, text: "=="}
		case '!':
			return token{kind: tokNotEquals, text: "!="}
		}
	}
	kind := tokComma
	switch s[i] {
	case '(':
		kind = tokOpenParen
	case ')':
		kind = tokCloseParen
	case '!':
		kind = tokNot
	case '=':
		kind = tokEquals
	case '>':
		kind = tokGreater
	case '<':
		kind = tokLess
	}
	return token{kind: kind, text: s[i : i+1]}
}
