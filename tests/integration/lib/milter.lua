-- milter.lua - what the miltertest scripts of tests/integration/milter_*.sh
-- share (loaded with dofile; never run alone): one SMTP transaction sent to
-- the milter named by $MILTER_SOCK, and checks that fail the script.

sock = os.getenv("MILTER_SOCK")

function fail(why)
	error("FAIL: " .. why)
end

-- send{ip=, auth=, from=, rcpt=, headers={{n,v},...}, body=} returns the
-- connection after end of message, or after MAIL FROM when the milter
-- already accepted there (then .early is the reply).
function send(m)
	local conn = mt.connect(sock, 20, 0.1)
	if conn == nil then fail("cannot connect to " .. sock) end
	if mt.conninfo(conn, "client.example", m.ip or "192.0.2.10") ~= nil then
		fail("conninfo")
	end
	if mt.getreply(conn) ~= SMFIR_CONTINUE then fail("connect not continued") end
	if mt.helo(conn, "client.example") ~= nil then fail("helo") end
	mt.macro(conn, SMFIC_MAIL, "i", "TESTQID")
	if m.auth then mt.macro(conn, SMFIC_MAIL, "{auth_authen}", m.auth) end
	if mt.mailfrom(conn, m.from or "<sender@example.net>") ~= nil then fail("mailfrom") end
	local r = mt.getreply(conn)
	if r ~= SMFIR_CONTINUE then return conn, r end
	if mt.rcptto(conn, m.rcpt or "<user@example.org>") ~= nil then fail("rcptto") end
	for _, h in ipairs(m.headers) do
		if mt.header(conn, h[1], h[2]) ~= nil then fail("header " .. h[1]) end
	end
	if mt.eoh(conn) ~= nil then fail("eoh") end
	if mt.bodystring(conn, m.body or "hello\r\n") ~= nil then fail("body") end
	if mt.eom(conn) ~= nil then fail("eom") end
	return conn, nil
end

function expect(what, cond)
	if not cond then fail(what) end
	print("PASS: " .. what)
end

ham = { { "From", "a@example.net" }, { "Subject", "hello" } }
spam = { { "From", "a@example.net" }, { "Subject", "buy" }, { "X-Test-Spam", "yes" } }

-- read_eml(path) returns the headers ({{name, value}, ...}, folded lines
-- kept with CRLF) and the body with CRLF line ends, for send{}.
function read_eml(path)
	local f = io.open(path, "rb")
	if f == nil then fail("cannot read " .. path) end
	local text = f:read("*a"):gsub("\r\n", "\n")
	f:close()
	local head, body = text:match("^(.-)\n\n(.*)$")
	if head == nil then head, body = text, "" end
	local headers = {}
	for line in (head .. "\n"):gmatch("(.-)\n") do
		if line:match("^[ \t]") and #headers > 0 then
			headers[#headers][2] = headers[#headers][2] .. "\r\n" .. line
		else
			local n, v = line:match("^([^:]+):[ \t]?(.*)$")
			if n ~= nil then headers[#headers + 1] = { n, v } end
		end
	end
	return headers, body:gsub("\n", "\r\n")
end
