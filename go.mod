module github.com/opsroom/opsroom

go 1.26
