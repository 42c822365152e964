package account

import "testing"

func TestPasswordProblem(t *testing.T) {
	for _, c := range []struct {
		user, pw string
		ok       bool
	}{
		{"ru.general", "opsroom-demo", true},
		{"ru.general", "correct horse battery", true},
		{"ru.general", "Дежурный-офицер", true}, // 15 characters, 29 bytes
		{"ru.general", "日本語のパスフレーズです", true},    // 12 characters
		{"ru.general", "Дежурный-1", false},     // 10 characters, 19 bytes
		{"ru.general", "short", false},
		{"ru.general", "            ", false},
		{"ru.general", "\t \n  \t \n    ", false},
		{"ru.general", "aaaaaaaaaaaa", false},
		{"ru.general", "abababababab", false},
		{"ru.general", "password12", false},
		{"ru.general", "password1234", false},
		{"ru.general", "Password1234!", false},
		{"ru.general", "!!Sunshine2024", false},
		{"ru.general", "monkeymonkey", false},
		{"ru.general", "qwertyuiopas", false},
		{"ru.general", "1q2w3e4r5t6y", false},
		{"ru.general", "abcdefghijklm", false},
		{"ru.general", "987654321098", false},
		{"ru.general", "384920175603", false}, // only digits
		{"ru.general", "ru.general-2024", false},
		{"ru.general", "RU.GENERAL.rocks", false},
		{"ru.general", "my-rugeneral-pw", false},
		{"ru.general", "lareneg.ur-zzz9", false}, // reversed
		{"ru.general", "LARENEGUR and more", false},
		{"ab", "ab-but-long-enough", true}, // usernames under 3 characters are not looked for
		{"ru.general", string([]byte{0xff, 0xfe, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j'}), false},
	} {
		why := PasswordProblem(c.user, c.pw)
		if (why == "") != c.ok {
			t.Errorf("PasswordProblem(%q, %q) = %q, want ok=%v", c.user, c.pw, why, c.ok)
		}
	}
	if len(commonPasswords) < 1900 {
		t.Errorf("%d common passwords embedded", len(commonPasswords))
	}
}
