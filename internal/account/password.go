package account

import (
	_ "embed"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Password length bounds. The minimum counts characters, not bytes, so a
// passphrase in any script is held to the same length; the maximum is in
// bytes and only bounds the hashing work.
const (
	MinPasswordChars = 12
	MaxPasswordBytes = 1024
)

// commonPasswords are the most used passwords of published breach lists
// (see docs/DEPENDENCIES.md for where they come from), one a line, lower
// case.
//
//go:embed common-passwords.txt
var commonPasswordsText string

var commonPasswords = func() map[string]bool {
	m := map[string]bool{}
	for _, l := range strings.Split(commonPasswordsText, "\n") {
		if l = strings.TrimSpace(l); l != "" {
			m[strings.ToLower(l)] = true
		}
	}
	return m
}()

// PasswordProblem says why
// password may not be set for username, or "" when it may. Long enough
// passwords are still refused when an attacker would try them first:
// a common password (also with digits or punctuation added before or
// after, or repeated), a keyboard or alphabet run, only digits, too few
// different characters, or the username in any case, forwards or
// backwards.
func PasswordProblem(username, password string) string {
	switch {
	case !utf8.ValidString(password):
		return "is not valid UTF-8"
	case strings.TrimSpace(password) == "":
		return "must not be only spaces"
	case utf8.RuneCountInString(password) < MinPasswordChars:
		return fmt.Sprintf("must be at least %d characters", MinPasswordChars)
	case len(password) > MaxPasswordBytes:
		return fmt.Sprintf("is longer than %d bytes", MaxPasswordBytes)
	}
	lower := strings.ToLower(password)
	if distinct(lower) < 5 {
		return "has too few different characters"
	}
	if isCommon(lower) {
		return "is on the list of common passwords; choose a passphrase of several unrelated words"
	}
	if isRun(lower) {
		return "is a run of consecutive keys or letters"
	}
	if strings.TrimFunc(password, unicode.IsDigit) == "" {
		return "must not be only digits"
	}
	// The username as typed and without its separators ("ru.analyst",
	// "ruanalyst"), forwards and backwards, anywhere in the password with
	// or without its own separators.
	user := strings.ToLower(username)
	bare, compact := lettersDigits(user), lettersDigits(lower)
	for _, u := range []string{user, bare} {
		if utf8.RuneCountInString(u) < 3 {
			continue
		}
		for _, v := range []string{u, reverse(u)} {
			if strings.Contains(lower, v) || strings.Contains(compact, v) {
				return "must not contain the username"
			}
		}
	}
	return ""
}

func lettersDigits(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			return r
		}
		return -1
	}, s)
}

func distinct(s string) int {
	seen := map[rune]bool{}
	for _, r := range s {
		seen[r] = true
	}
	return len(seen)
}

// isCommon reports whether a lower-case password is a listed one, a listed
// one with digits, punctuation or spaces before or after it, or a listed
// one repeated.
func isCommon(p string) bool {
	if commonPasswords[p] {
		return true
	}
	if core := strings.TrimFunc(p, func(r rune) bool { return !unicode.IsLetter(r) }); commonPasswords[core] {
		return true
	}
	for n := 1; n <= len(p)/2; n++ {
		if len(p)%n == 0 && commonPasswords[p[:n]] && strings.Repeat(p[:n], len(p)/n) == p {
			return true
		}
	}
	return false
}

// keyboard rows and the alphabet, forwards; isRun also tries them backwards.
var runs = []string{
	"abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
	"0123456789012345678901234567890123456789",
	"1234567890-=qwertyuiop[]asdfghjkl;'zxcvbnm,./",
	"qwertyuiopasdfghjklzxcvbnmqwertyuiopasdfghjklzxcvbnm",
	"qwertzuiopasdfghjklyxcvbnm",
	"azertyuiopqsdfghjklmwxcvbn",
	"1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/",
}

func isRun(p string) bool {
	for _, r := range runs {
		if strings.Contains(r, p) || strings.Contains(reverse(r), p) {
			return true
		}
	}
	return false
}

func reverse(s string) string {
	r := []rune(s)
	for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
		r[i], r[j] = r[j], r[i]
	}
	return string(r)
}
