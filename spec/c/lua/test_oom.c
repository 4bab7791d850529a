/* Out of memory at every allocation of a call, from a Lua 5.4 host whose
 * allocator can be told to fail: each call ends with a result, nil and an
 * error, or a raised memory error, never a crash; and after each, the same
 * client makes a call again (a memory error raised while the answer was being
 * built into tables must not leave it "in the middle of a call").
 *
 * The server is a child process answering every request on one kept-alive
 * connection with a canned GetReferenceMetadata. */
#include <arpa/inet.h>
#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctest.h"

#ifndef OMICS_BUILD_DIR
#define OMICS_BUILD_DIR "build/lua5.4"
#endif

static const char answer_body[] =
    "{\"arn\":\"arn:aws:omics:us-east-1:123456789012:referenceStore/1234567890/reference/"
    "9876543210\",\"id\":\"9876543210\",\"referenceStoreId\":\"1234567890\",\"md5\":"
    "\"7bc0b6ab0c1b4b4c9a8f0e6c1a2b3c4d\",\"status\":\"ACTIVE\",\"name\":\"GRCh38\","
    "\"description\":\"a reference\",\"creationTime\":\"2026-11-29T10:00:00.123Z\","
    "\"updateTime\":\"2026-11-29T11:00:00Z\",\"files\":{\"source\":{\"totalParts\":3,"
    "\"partSize\":104857600,\"contentLength\":3263683042},\"index\":{\"totalParts\":1,"
    "\"partSize\":104857600,\"contentLength\":160928}}}";

static void serve(int lfd)
{
    char answer[1024];
    int n = snprintf(answer, sizeof answer,
                     "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                     "x-amzn-RequestId: oom-test\r\nContent-Length: %zu\r\n\r\n%s",
                     sizeof answer_body - 1, answer_body);
    signal(SIGCHLD, SIG_IGN); /* no zombies */
    for (;;) {
        int fd = accept(lfd, NULL, NULL);
        if (fd < 0)
            continue;
        /* one process a connection: each client keeps its own alive */
        pid_t pid = fork();
        if (pid != 0) {
            close(fd);
            continue;
        }
        close(lfd);
        char req[8192];
        size_t have = 0;
        for (;;) {
            ssize_t got = read(fd, req + have, sizeof req - 1 - have);
            if (got <= 0)
                break;
            have += (size_t)got;
            req[have] = '\0';
            char *end = strstr(req, "\r\n\r\n");
            if (!end)
                continue;
            /* GETs only: no body to skip */
            size_t used = (size_t)(end + 4 - req);
            if (write(fd, answer, (size_t)n) != n)
                break;
            memmove(req, req + used, have - used);
            have -= used;
        }
        _exit(0);
    }
}

/* -1: never fail; otherwise the number of growing allocations still allowed */
static long allowed = -1;

static void *test_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    (void)ud;
    if (nsize == 0) {
        free(ptr);
        return NULL;
    }
    /* Lua counts on shrinking never failing */
    if (allowed >= 0 && (ptr == NULL || nsize > osize)) {
        if (allowed == 0)
            return NULL;
        allowed--;
    }
    return realloc(ptr, nsize);
}

static const char setup_chunk[] =
    "package.path = './?.lua;' .. package.path\n"
    "package.cpath = '" OMICS_BUILD_DIR "/?.so;' .. package.cpath\n"
    "local omics = require 'omics'\n"
    "client = assert(omics.new { region = 'us-east-1', endpoint = ENDPOINT, max_attempts = 1, timeout = 5,\n"
    "  credentials = { access_key_id = 'AKIDEXAMPLE', secret_access_key = 'secret' } })\n"
    "params = { referenceStoreId = '1234567890', id = '9876543210' }\n"
    "function call_once() return client:get_reference_metadata(params) end\n"
    "logged = 0\n"
    "logging = assert(omics.new { region = 'us-east-1', endpoint = ENDPOINT, max_attempts = 1, timeout = 5,\n"
    "  credentials = { access_key_id = 'AKIDEXAMPLE', secret_access_key = 'secret' },\n"
    "  log = function(level, message) logged = logged + #message end })\n"
    "function call_logged() return logging:get_reference_metadata(params) end\n"
    "streamed = 0\n"
    "function call_sink() return client:get_read_set({ sequenceStoreId = '1234567890',\n"
    "  id = '1234567890', partNumber = 1 }, { sink = function(chunk) streamed = streamed + #chunk end }) end\n"
    "function check_result() for _, c in ipairs { client, logging } do\n"
    "  local r, e = c:get_reference_metadata(params)\n"
    "  if not r then return 'error: ' .. tostring(e) end\n"
    "  if r.name ~= 'GRCh38' or r.files.source.contentLength ~= 3263683042 then return 'wrong result' end\n"
    "  end return 'ok' end\n";

/* Make the call in the global function `name` fail at its first growing
 * allocation, then its second, and so on, until it no longer reaches the
 * limit; after each, the client must make a call again. */
static void try_every_allocation(lua_State *L, const char *name)
{
    int results = 0, errors = 0, raised = 0, stuck = 0, wrong = 0;
    long n;
    for (n = 0; n < 100000; n++) {
        lua_settop(L, 0);
        lua_getglobal(L, name);
        allowed = n;
        int status = lua_pcall(L, 0, 2, 0);
        long left = allowed;
        allowed = -1;
        if (status == LUA_ERRMEM)
            raised++;
        else if (status != LUA_OK) {
            if (wrong++ < 3)
                fprintf(stderr, "test_oom: allocation %ld: raised %s\n", n, lua_tostring(L, -1));
        } else if (lua_istable(L, 1))
            results++;
        else
            errors++;
        /* the client works again */
        lua_settop(L, 0);
        lua_getglobal(L, "check_result");
        if (lua_pcall(L, 0, 1, 0) != LUA_OK || strcmp(lua_tostring(L, -1), "ok") != 0) {
            if (stuck++ < 3)
                fprintf(stderr, "test_oom: after failing allocation %ld: %s\n", n,
                        lua_tostring(L, -1));
        }
        if (status == LUA_OK && left > 0)
            break; /* the call no longer reaches the limit: every point was tried */
        if (stuck > 3 || wrong > 3)
            break;
    }
    printf("test_oom: %s: %ld allocation points: %d results, %d errors, %d raised memory errors\n",
           name, n, results, errors, raised);
    CHECK(n > 10 && n < 100000 && stuck + wrong == 0);
    CHECK(raised > 0);
    CHECK(wrong == 0);
    CHECK(stuck == 0);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof a;
    CHECK(lfd >= 0 && bind(lfd, (struct sockaddr *)&a, sizeof a) == 0 && listen(lfd, 8) == 0 &&
          getsockname(lfd, (struct sockaddr *)&a, &alen) == 0);
    pid_t server = fork();
    if (server == 0) {
        setpgid(0, 0); /* the server and its connections, killed as one */
        serve(lfd);
        _exit(0);
    }
    close(lfd);

    lua_State *L = lua_newstate(test_alloc, NULL);
    luaL_openlibs(L);
    char endpoint[64];
    snprintf(endpoint, sizeof endpoint, "http://127.0.0.1:%d", ntohs(a.sin_port));
    lua_pushstring(L, endpoint);
    lua_setglobal(L, "ENDPOINT");
    if (luaL_dostring(L, setup_chunk) != LUA_OK) {
        fprintf(stderr, "test_oom: %s\n", lua_tostring(L, -1));
        CHECK(0);
        kill(-server, SIGTERM);
        waitpid(server, NULL, 0);
        CTEST_DONE();
    }

    try_every_allocation(L, "call_once");
    try_every_allocation(L, "call_logged");
    try_every_allocation(L, "call_sink");
    lua_close(L);
    kill(-server, SIGTERM);
    waitpid(server, NULL, 0);
    CTEST_DONE();
}
