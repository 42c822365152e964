package gazetteer

import (
	"bytes"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// maxQueryBytes bounds the work one query can cause; no place name is longer.
const maxQueryBytes = 256

// Fold returns the key under which a name is matched: two spellings of the
// same place that differ only in diacritics, case, punctuation, an Arabic
// article or a common transliteration variant fold to the same key, so
// "Ḩamāh", "Hamah" and "hama" all give "hama", and "Ar Rastan", "al-Rastan"
// and "Rastan" all give "rastan". Arabic script is folded too (tashkeel,
// hamza forms, tā' marbūṭa, the article "ال"). The key is for comparison
// only; it is not meant to be shown.
func Fold(s string) string {
	var f folder
	return string(f.key(s))
}

// folder holds the buffers of one folding at a time, so that loading the
// index (some 400,000 names) does not allocate for each step of each name.
type folder struct {
	nfd  []byte
	buf  []byte   // lowercase letters and digits, tokens separated by ' '
	toks [][]byte // slices of buf, after article removal
	tmp  []byte
	out  []byte
}

// key folds s; the result is valid until the next call.
func (f *folder) key(s string) []byte {
	f.tokens(s)
	return f.finish(f.toks)
}

// tokens does the script-level work: decomposition, mark and apostrophe
// removal, case, punctuation to token breaks, Arabic letter forms, and
// article tokens. It leaves lowercase tokens, not yet transliterated, in
// f.toks.
func (f *folder) tokens(s string) {
	if len(s) > maxQueryBytes {
		s = s[:maxQueryBytes]
	}
	var in []byte
	if isASCII(s) {
		in = append(f.nfd[:0], s...)
	} else {
		in = norm.NFD.AppendString(f.nfd[:0], s)
	}
	f.nfd = in
	b := f.buf[:0]
	brk := false
	for len(in) > 0 {
		r, size := rune(in[0]), 1
		if r >= utf8.RuneSelf {
			r, size = utf8.DecodeRune(in)
		}
		in = in[size:]
		switch {
		case 'a' <= r && r <= 'z' || '0' <= r && r <= '9':
			if brk && len(b) > 0 {
				b = append(b, ' ')
			}
			brk = false
			b = append(b, byte(r))
		case 'A' <= r && r <= 'Z':
			if brk && len(b) > 0 {
				b = append(b, ' ')
			}
			brk = false
			b = append(b, byte(r)+'a'-'A')
		case r == utf8.RuneError:
			brk = true
		case isSilent(r):
			// Dropped without a break: "Ma‘arrat" is one word, not two.
		case unicode.IsLetter(r):
			if brk && len(b) > 0 {
				b = append(b, ' ')
			}
			brk = false
			b = appendLetter(b, r)
		case unicode.IsDigit(r):
			if brk && len(b) > 0 {
				b = append(b, ' ')
			}
			brk = false
			if d := digitValue(r); d >= 0 {
				b = append(b, byte('0'+d))
			} else {
				b = utf8.AppendRune(b, r)
			}
		default:
			brk = true
		}
	}
	f.buf = b
	toks := f.toks[:0]
	for len(b) > 0 {
		i := bytes.IndexByte(b, ' ')
		if i < 0 {
			i = len(b)
		}
		toks = append(toks, b[:i])
		b = b[min(i+1, len(b)):]
	}
	out := toks[:0]
	for i, t := range toks {
		// "Ar Rastan", "Deir ez-Zor", "Jisr ash Shughur": an article token
		// goes, unless it is all that is left.
		if i < len(toks)-1 && isArticle(t) {
			continue
		}
		if a, ok := bytes.CutPrefix(t, arabicArticle); ok && utf8.RuneCount(a) >= 2 {
			t = a
		}
		out = append(out, t)
	}
	f.toks = out
}

var arabicArticle = []byte("ال")

// finish applies the transliteration rules to each token and joins them
// without spaces, so "Tall Kalakh" and "Tallkalakh" meet.
func (f *folder) finish(toks [][]byte) []byte {
	out := f.out[:0]
	for _, t := range toks {
		f.tmp = translit(f.tmp[:0], t)
		out = append(out, f.tmp...)
	}
	f.out = collapseDoubles(out)
	return f.out
}

// articleVariant strips articles written onto the word ("alrastan",
// "assalamiyah", "arrastan") from the tokens of the last f.tokens call. It
// is only a query-side second guess: "Aleppo" would lose its "al" too, so
// the result is tried after the plain key, with a lower score, and only for
// exact matches.
func (f *folder) articleVariant() (string, bool) {
	toks := make([][]byte, len(f.toks))
	changed := false
	for i, t := range f.toks {
		if s, ok := stripAttachedArticle(t); ok {
			t, changed = s, true
		}
		toks[i] = t
	}
	if !changed {
		return "", false
	}
	return string(f.finish(toks)), true
}

func stripAttachedArticle(t []byte) ([]byte, bool) {
	if len(t) < 6 || (t[0] != 'a' && t[0] != 'e') {
		return nil, false
	}
	if t[1] == 'l' {
		return t[2:], true
	}
	// Sun letters: the article's l is written as the next consonant,
	// doubled ("ar-r", "as-s", "ash-sh").
	if bytes.HasPrefix(t[1:], []byte("shsh")) {
		return t[3:], true
	}
	if strings.IndexByte("tdrzsn", t[1]) >= 0 && t[2] == t[1] {
		return t[2:], true
	}
	return nil, false
}

func isArticle(t []byte) bool {
	return len(t) <= 3 && articles[string(t)] // no allocation for the lookup
}

// articles are the Latin transcriptions of the Arabic article (and Urdu/
// Persian "ul") that GeoNames and users write as a separate word.
var articles = map[string]bool{
	"al": true, "el": true, "il": true, "ul": true,
	"ar": true, "er": true,
	"as": true, "es": true,
	"ad": true, "ed": true,
	"at": true, "et": true,
	"az": true, "ez": true,
	"an": true, "en": true,
	"ash": true, "esh": true, "ech": true, "ach": true,
	"ath": true, "adh": true, "edh": true, "ej": true, "aj": true,
}

// translit maps the common spelling variants of transcribed Arabic (and a
// few European habits) onto one form. Only ASCII letters are touched, so
// Arabic-script tokens pass through.
func translit(out, t []byte) []byte {
	start := len(out)
	out = append(out, t...)
	b := out[start:]
	out = out[:start]
	// Rewriting in place is safe: no rule makes a token longer before the
	// read position (two letters become at most two).
	for i := 0; i < len(b); i++ {
		c := b[i]
		var n byte
		if i+1 < len(b) {
			n = b[i+1]
		}
		switch {
		case n == 'h' && (c == 'k' || c == 'g' || c == 'd' || c == 't'):
			// kh/h (Khoms, Homs), gh/g, dh/d, th/t.
			if c == 'k' {
				out = append(out, 'h')
			} else {
				out = append(out, c)
			}
			i++
		case c == 'p' && n == 'h':
			out = append(out, 'f')
			i++
		case c == 'd' && n == 'j':
			out = append(out, 'j')
			i++
		case c == 'o' && (n == 'u' || n == 'o'):
			out = append(out, 'u')
			i++
		case c == 'e' && n == 'e':
			out = append(out, 'i')
			i++
		case (c == 'a' || c == 'e') && (n == 'y' || n == 'i'):
			// Dayr, Deir, Deyr.
			out = append(out, 'a', 'i')
			i++
		case c == 'q':
			out = append(out, 'k')
		case c == 'w':
			out = append(out, 'v')
		default:
			out = append(out, c)
		}
	}
	out = out[:start+len(collapseDoubles(out[start:]))]
	if len(out)-start >= 4 && out[len(out)-1] == 'h' && (out[len(out)-2] == 'a' || out[len(out)-2] == 'e') {
		// Hamah/Hama, Latamneh/Latamna, Salamiyeh/Salamiyah.
		out = out[:len(out)-1]
		if out[len(out)-1] == 'e' {
			out[len(out)-1] = 'a'
		}
	}
	switch {
	case len(out)-start >= 5 && hasSuffix(out, "iye"):
		out[len(out)-1] = 'a' // Selemiye
	case len(out)-start >= 4 && hasSuffix(out, "ia"):
		out = append(out[:len(out)-1], 'y', 'a') // Salamieh, Salamia
	}
	return out
}

func hasSuffix(b []byte, s string) bool {
	return len(b) >= len(s) && string(b[len(b)-len(s):]) == s
}

// collapseDoubles turns runs of one ASCII letter into one (Tallbisah,
// Talbisah); multi-byte UTF-8 is left alone.
func collapseDoubles(b []byte) []byte {
	out := b[:0]
	for i, c := range b {
		if i > 0 && c < utf8.RuneSelf && c == b[i-1] && isASCIILetter(c) {
			continue
		}
		out = append(out, c)
	}
	return out
}

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' }

// skeleton is the key's consonants, with its first letter kept: the last
// resort for vowel variants no rule covers (Hims/Homs, Latamneh/Lataminah).
func skeleton(key string) string {
	if key == "" {
		return ""
	}
	b := make([]byte, 0, len(key))
	b = append(b, key[0])
	for i := 1; i < len(key); i++ {
		switch key[i] {
		case 'a', 'e', 'i', 'o', 'u', 'y':
		default:
			b = append(b, key[i])
		}
	}
	return string(collapseDoubles(b))
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// isSilent reports the runes that vanish without breaking a word: combining
// marks (diacritics, Arabic tashkeel and hamza after NFD), format controls,
// tatweel, and the apostrophes and half-rings that write ʿayn and hamza.
func isSilent(r rune) bool {
	switch r {
	case '\'', '`', '´', '‘', '’', 'ʼ', 'ʻ', 'ʽ', 'ʾ', 'ʿ', 'ʹ', '′', 'ـ':
		return true
	}
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf)
}

// appendLetter appends a letter lowercased, with the letters that NFD does
// not decompose spelled out and Arabic letter forms merged.
func appendLetter(b []byte, r rune) []byte {
	switch r {
	case 'ß':
		return append(b, "ss"...)
	case 'æ', 'Æ':
		return append(b, "ae"...)
	case 'œ', 'Œ':
		return append(b, "oe"...)
	case 'þ', 'Þ':
		return append(b, "th"...)
	case 'ø', 'Ø':
		r = 'o'
	case 'đ', 'Đ', 'ð', 'Ð':
		r = 'd'
	case 'ł', 'Ł':
		r = 'l'
	case 'ı':
		r = 'i'
	case 'ħ', 'Ħ':
		r = 'h'
	// Arabic: hamza seats and madda are gone after NFD; these remain.
	case 'ٱ': // alef wasla
		r = 'ا'
	case 'ة': // tā' marbūṭa, written as hā' by many
		r = 'ه'
	case 'ى', 'ی', 'ې', 'ێ': // alef maqsura and Persian/Kurdish yeh
		r = 'ي'
	case 'ک': // Persian kaf
		r = 'ك'
	case 'ە': // Kurdish ae
		r = 'ه'
	}
	return utf8.AppendRune(b, unicode.ToLower(r))
}

// digitValue maps decimal digits of any script (Arabic-Indic included) to
// their value, or -1.
func digitValue(r rune) int {
	switch {
	case '0' <= r && r <= '9':
		return int(r - '0')
	case '٠' <= r && r <= '٩':
		return int(r - '٠')
	case '۰' <= r && r <= '۹':
		return int(r - '۰')
	}
	return -1
}
