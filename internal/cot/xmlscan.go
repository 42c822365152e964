package cot

import (
	"strconv"
	"strings"
	"unicode/utf8"
)

// A small XML tokenizer for the subset CoT uses: elements, attributes,
// character data, CDATA, comments and processing instructions; no DTDs, no
// entities beyond the predefined five and character references.
//
// It exists because encoding/xml allocates for every token and attribute and
// costs several times more than the whole event is worth, and because the
// codec needs byte offsets to keep <detail> verbatim. Being strict matters
// as much as being fast: the raw detail is forwarded to other clients, so
// anything this tokenizer accepts must be well-formed for them too.

const (
	// maxDepth bounds element nesting inside an event; real CoT stays under
	// ten levels.
	maxDepth = 64
	// maxAttrs bounds attributes per element, which keeps the duplicate
	// check (quadratic, but allocation-free) cheap on hostile input.
	maxAttrs = 128
)

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokStart
	tokEnd
	tokText
	tokCDATA
	tokOther // comment or processing instruction
)

type token struct {
	kind      tokKind
	name      string // element name (start and end tags)
	attrs     string // raw, already validated attribute text of a start tag
	text      string // character data with references unexpanded, or CDATA content
	selfClose bool
	start     int // offset of the token's first byte
	end       int // offset just past the token
}

type scanner struct {
	s   string
	pos int
	// allowDecl permits an <?xml ...?> declaration, which is only legal
	// before the root element.
	allowDecl bool
	names     [maxAttrs]string // attribute names of the current tag, for duplicate detection
}

func malformed(detail string) *Error { return errf(KindMalformed, detail) }

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

func allSpace(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isSpace(s[i]) {
			return false
		}
	}
	return true
}

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

// scanName returns the length of the XML name at the start of s, 0 if none.
// Non-ASCII bytes are accepted as name characters; the input has already
// been checked to be valid UTF-8.
func scanName(s string) int {
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c == '_', c == ':', c >= utf8.RuneSelf:
		case (c >= '0' && c <= '9') || c == '-' || c == '.':
			if i == 0 {
				return 0
			}
		default:
			return i
		}
		i++
	}
	return i
}

// next returns the next token. Errors are always *Error of KindMalformed.
func (sc *scanner) next() (token, error) {
	s := sc.s
	start := sc.pos
	if start >= len(s) {
		return token{kind: tokEOF, start: start, end: start}, nil
	}
	if s[start] != '<' {
		end := len(s)
		if i := strings.IndexByte(s[start:], '<'); i >= 0 {
			end = start + i
		}
		text := s[start:end]
		if err := checkRefs(text); err != nil {
			return token{}, err
		}
		if strings.Contains(text, "]]>") {
			return token{}, malformed(`"]]>" in character data`)
		}
		sc.pos = end
		return token{kind: tokText, text: text, start: start, end: end}, nil
	}
	rest := s[start+1:]
	switch {
	case strings.HasPrefix(rest, "/"):
		n := scanName(rest[1:])
		if n == 0 {
			return token{}, malformed("end tag without a name")
		}
		j := skipSpace(rest, 1+n)
		if j >= len(rest) || rest[j] != '>' {
			return token{}, malformed("unterminated end tag </" + clip(rest[1:1+n]) + ">")
		}
		sc.pos = start + 1 + j + 1
		return token{kind: tokEnd, name: rest[1 : 1+n], start: start, end: sc.pos}, nil
	case strings.HasPrefix(rest, "!--"):
		i := strings.Index(rest[3:], "-->")
		if i < 0 {
			return token{}, malformed("unterminated comment")
		}
		if strings.Contains(rest[3:3+i], "--") || strings.HasSuffix(rest[3:3+i], "-") {
			return token{}, malformed(`"--" inside a comment`)
		}
		sc.pos = start + 1 + 3 + i + 3
		return token{kind: tokOther, start: start, end: sc.pos}, nil
	case strings.HasPrefix(rest, "![CDATA["):
		i := strings.Index(rest[8:], "]]>")
		if i < 0 {
			return token{}, malformed("unterminated CDATA section")
		}
		sc.pos = start + 1 + 8 + i + 3
		return token{kind: tokCDATA, text: rest[8 : 8+i], start: start, end: sc.pos}, nil
	case strings.HasPrefix(rest, "?"):
		n := scanName(rest[1:])
		if n == 0 {
			return token{}, malformed("processing instruction without a target")
		}
		if strings.EqualFold(rest[1:1+n], "xml") && !(sc.allowDecl && n == 3) {
			return token{}, malformed("XML declaration inside a document")
		}
		i := strings.Index(rest[1+n:], "?>")
		if i < 0 {
			return token{}, malformed("unterminated processing instruction")
		}
		if i > 0 && !isSpace(rest[1+n]) {
			return token{}, malformed("bad processing instruction")
		}
		sc.pos = start + 1 + 1 + n + i + 2
		return token{kind: tokOther, start: start, end: sc.pos}, nil
	case strings.HasPrefix(rest, "!"):
		// DOCTYPE would bring entity declarations; CoT never uses them and
		// refusing them rules out expansion attacks.
		return token{}, malformed("DOCTYPE and other declarations are not accepted")
	}

	n := scanName(rest)
	if n == 0 {
		return token{}, malformed("'<' not followed by a name")
	}
	name := rest[:n]
	j := n
	nattrs := 0
	for {
		sp := j
		j = skipSpace(rest, j)
		if j >= len(rest) {
			return token{}, malformed("unterminated start tag <" + clip(name) + ">")
		}
		switch rest[j] {
		case '>':
			sc.pos = start + 1 + j + 1
			return token{kind: tokStart, name: name, attrs: rest[n:j], start: start, end: sc.pos}, nil
		case '/':
			if j+1 >= len(rest) || rest[j+1] != '>' {
				return token{}, malformed("bad start tag <" + clip(name) + ">")
			}
			sc.pos = start + 1 + j + 2
			return token{kind: tokStart, name: name, attrs: rest[n:j], selfClose: true, start: start, end: sc.pos}, nil
		}
		if sp == j {
			return token{}, malformed("attributes of <" + clip(name) + "> not separated by white space")
		}
		an := scanName(rest[j:])
		if an == 0 {
			return token{}, malformed("bad attribute in <" + clip(name) + ">")
		}
		aname := rest[j : j+an]
		j = skipSpace(rest, j+an)
		if j >= len(rest) || rest[j] != '=' {
			return token{}, malformed("attribute " + clip(aname) + " without a value")
		}
		j = skipSpace(rest, j+1)
		if j >= len(rest) || (rest[j] != '"' && rest[j] != '\'') {
			return token{}, malformed("attribute " + clip(aname) + " value not quoted")
		}
		q := rest[j]
		k := strings.IndexByte(rest[j+1:], q)
		if k < 0 {
			return token{}, malformed("unterminated value of attribute " + clip(aname))
		}
		val := rest[j+1 : j+1+k]
		if strings.IndexByte(val, '<') >= 0 {
			return token{}, malformed("'<' in value of attribute " + clip(aname))
		}
		if err := checkRefs(val); err != nil {
			return token{}, err
		}
		if nattrs == maxAttrs {
			return token{}, malformed("too many attributes in <" + clip(name) + ">")
		}
		for _, prev := range sc.names[:nattrs] {
			if prev == aname {
				return token{}, malformed("duplicate attribute " + clip(aname) + " in <" + clip(name) + ">")
			}
		}
		sc.names[nattrs] = aname
		nattrs++
		j = j + 1 + k + 1
	}
}

// clip keeps error details short whatever the peer sent.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}

// checkRefs checks every '&' in s starts a predefined entity or a character
// reference to a legal XML character.
func checkRefs(s string) error {
	for {
		i := strings.IndexByte(s, '&')
		if i < 0 {
			return nil
		}
		s = s[i:]
		_, n := decodeRef(s)
		if n == 0 {
			return malformed("bad entity or character reference")
		}
		s = s[n:]
	}
}

// decodeRef decodes the reference at the start of s ("&amp;", "&#10;"),
// returning the rune and the reference's length, or n == 0 if it is not a
// valid reference.
func decodeRef(s string) (r rune, n int) {
	end := strings.IndexByte(s, ';')
	if end < 2 || end > 12 {
		return 0, 0
	}
	body := s[1:end]
	switch body {
	case "lt":
		return '<', end + 1
	case "gt":
		return '>', end + 1
	case "amp":
		return '&', end + 1
	case "quot":
		return '"', end + 1
	case "apos":
		return '\'', end + 1
	}
	if body[0] != '#' || len(body) < 2 {
		return 0, 0
	}
	var v uint64
	var err error
	if body[1] == 'x' {
		if len(body) < 3 {
			return 0, 0
		}
		v, err = strconv.ParseUint(body[2:], 16, 32)
	} else {
		v, err = strconv.ParseUint(body[1:], 10, 32)
	}
	// ParseUint accepts underscores only with a base prefix, which it never
	// sees here, and no signs for unsigned values, so the body is digits.
	if err != nil || v > utf8.MaxRune || !isXMLChar(rune(v)) {
		return 0, 0
	}
	return rune(v), end + 1
}

// unescapeAttr returns the value of an attribute as an XML parser reports
// it: references expanded and literal white space normalized to spaces. The
// common case, nothing to do, returns a substring without allocating.
func unescapeAttr(v string) string {
	if strings.IndexByte(v, '&') < 0 && strings.IndexAny(v, "\t\n\r") < 0 {
		return v
	}
	return unescape(v, true)
}

// unescapeText returns character data as an XML parser reports it:
// references expanded and line ends normalized to "\n".
func unescapeText(v string) string {
	if strings.IndexByte(v, '&') < 0 && strings.IndexByte(v, '\r') < 0 {
		return v
	}
	return unescape(v, false)
}

func unescape(v string, attr bool) string {
	var b strings.Builder
	b.Grow(len(v))
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch c {
		case '&':
			r, n := decodeRef(v[i:])
			if n == 0 { // not reached for validated input
				b.WriteByte(c)
				continue
			}
			b.WriteRune(r)
			i += n - 1
		case '\r':
			if i+1 < len(v) && v[i+1] == '\n' {
				i++
			}
			if attr {
				b.WriteByte(' ')
			} else {
				b.WriteByte('\n')
			}
		case '\t', '\n':
			if attr {
				b.WriteByte(' ')
			} else {
				b.WriteByte(c)
			}
		default:
			b.WriteByte(c)
		}
	}
	return b.String()
}

// nextAttr splits the first attribute off validated attribute text.
func nextAttr(a string) (name, rawVal, rest string, ok bool) {
	i := skipSpace(a, 0)
	if i >= len(a) {
		return "", "", "", false
	}
	n := scanName(a[i:])
	name = a[i : i+n]
	j := skipSpace(a, i+n)
	j = skipSpace(a, j+1) // past '='
	q := a[j]
	k := strings.IndexByte(a[j+1:], q)
	return name, a[j+1 : j+1+k], a[j+1+k+1:], true
}

// checkChars checks s is UTF-8 made of XML characters. It runs once over a
// whole event so the tokenizer can treat non-ASCII bytes as opaque.
func checkChars(s string) error {
	if !validXMLText(s) {
		return errf(KindBadValue, "invalid UTF-8 or a character XML cannot carry")
	}
	return nil
}
