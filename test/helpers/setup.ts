/**
 * Runs before every test file, in its process. The usual umask of a shell (0o022) whatever the umask
 * the tests were started with: a file that must be the owner's only (0o600, 0o700) passes a test
 * only when the program asked for that mode, never because the test process's umask was strict.
 * (The installed program sets its own umask in bin/usage-charges.js; tests of that run it in a child.)
 */
process.umask(0o022);
