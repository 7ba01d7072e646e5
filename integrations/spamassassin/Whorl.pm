# Whorl.pm - SpamAssassin plugin asking whorld (whorl's scanning daemon) for
# a verdict over the spamd protocol, and reporting spam/ham back with TELL.
#
# For: SpamAssassin 3.4/4.0 sites that run whorld on a unix socket or TCP.
# Not for: scanning in process (whorld does that) or reading the feedback
# spool (whorld writes it, a collector reads it). Core Perl modules only.
#
# How: the request (REPORT SPAMC/1.5 with the pristine message) is sent
# when SpamAssassin starts checking the message (check_start; the DCC
# plugin does the same with dccifd in check_dnsbl), whorld scans while the other rules run, and the
# answer is collected by check_tick / check_cleanup, bounded by
# whorl_timeout. Eval rules asked before the answer is in return undef
# (asynchronous) and are settled by got_hit / rule_ready when it arrives.
# whorld down, a timeout or a bad answer: no WHORL rule hits, the scan
# goes on, a dbg/info line says why.

package Mail::SpamAssassin::Plugin::Whorl;

use strict;
use warnings;

use Errno qw(EAGAIN EWOULDBLOCK EINTR);
use IO::Select;
use IO::Socket::INET;
use IO::Socket::UNIX;
use Time::HiRes qw(time);

use Mail::SpamAssassin::Plugin;
use Mail::SpamAssassin::Logger ();

our @ISA = qw(Mail::SpamAssassin::Plugin);
our $VERSION = '0.1.0';

# Largest reply whorld sends to REPORT (the report text is a few lines).
use constant MAX_REPLY_BYTES => 65536;

sub dbg  { Mail::SpamAssassin::Logger::dbg("whorl: @_"); }
sub info { Mail::SpamAssassin::Logger::info("whorl: @_"); }

sub new {
  my ($class, $mailsa) = @_;
  my $self = $class->SUPER::new($mailsa);
  bless($self, $class);
  $self->register_eval_rule('check_whorl_category', $Mail::SpamAssassin::Conf::TYPE_FULL_EVALS);
  $self->register_eval_rule('check_whorl_score', $Mail::SpamAssassin::Conf::TYPE_FULL_EVALS);
  $self->set_config($mailsa->{conf});
  return $self;
}

sub set_config {
  my ($self, $conf) = @_;
  my @cmds = (
    { setting => 'use_whorl', default => 1,
      type => $Mail::SpamAssassin::Conf::CONF_TYPE_BOOL },
    # /path/to/socket, or host:port (IPv6 as [addr]:port)
    { setting => 'whorl_server', default => '127.0.0.1:783',
      type => $Mail::SpamAssassin::Conf::CONF_TYPE_STRING },
    { setting => 'whorl_timeout', default => 5, is_admin => 1,
      type => $Mail::SpamAssassin::Conf::CONF_TYPE_DURATION },
    # messages larger than this are not sent (set it to whorld's max message size)
    { setting => 'whorl_max_size', default => 10*1024*1024, is_admin => 1,
      type => $Mail::SpamAssassin::Conf::CONF_TYPE_NUMERIC },
    # also send what SpamAssassin learns (sa-learn, spamc -L) as feedback
    { setting => 'whorl_learn', default => 0,
      type => $Mail::SpamAssassin::Conf::CONF_TYPE_BOOL },
  );
  $conf->{parser}->register_commands(\@cmds);
}

# _connect(CONF, DEADLINE): a connected socket to whorld, or undef (logged).
sub _connect {
  my ($conf, $secs) = @_;
  my $server = $conf->{whorl_server};
  my $sock;
  # the captures below untaint the configured value (SpamAssassin runs under -T)
  if ($server =~ m{^(/[^\0]+)$}) {
    $sock = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $1, Timeout => $secs);
  } elsif ($server =~ /^\[?([^\[\]]+?)\]?:(\d+)$/) {
    $sock = IO::Socket::INET->new(PeerAddr => $1, PeerPort => $2, Proto => 'tcp',
                                  Timeout => $secs);
  } else {
    info("whorl_server '$server' is neither /path nor host:port");
    return undef;
  }
  dbg("cannot connect to whorld at $server: $!") if !$sock;
  return $sock;
}

# _send_all(SOCK, DATA, DEADLINE): writes every byte before DEADLINE
# (epoch seconds). Returns 1, or 0 on error or timeout.
sub _send_all {
  my ($sock, $data, $deadline) = @_;
  my $sel = IO::Select->new($sock);
  my $off = 0;
  local $SIG{PIPE} = 'IGNORE';
  while ($off < length($$data)) {
    my $left = $deadline - time;
    return 0 if $left <= 0 || !$sel->can_write($left);
    my $n = syswrite($sock, $$data, length($$data) - $off, $off);
    if (!defined $n) {
      next if $! == EINTR || $! == EAGAIN || $! == EWOULDBLOCK;
      return 0;
    }
    $off += $n;
  }
  return 1;
}

# _request(CONF, COMMAND, HEADERS, TEXTREF): a connected socket with the
# whole request written, or undef.
sub _request {
  my ($conf, $command, $headers, $text) = @_;
  my $deadline = time + $conf->{whorl_timeout};
  my $sock = _connect($conf, $conf->{whorl_timeout}) or return undef;
  $sock->blocking(0);
  my $req = "$command SPAMC/1.5\r\n" . $headers .
            'Content-length: ' . length($$text) . "\r\n\r\n" . $$text;
  if (!_send_all($sock, \$req, $deadline)) {
    info("sending to whorld at $conf->{whorl_server} failed or timed out");
    close($sock);
    return undef;
  }
  return $sock;
}

# _read_some(STATE, WAIT): reads what is there (waiting up to WAIT seconds)
# into STATE->{buf}. Returns 1 when whorld closed the connection (reply
# complete), 0 when more is to come, -1 on error or an oversized reply.
sub _read_some {
  my ($st, $wait) = @_;
  my $sel = IO::Select->new($st->{sock});
  while (1) {
    return 0 if !$sel->can_read($wait > 0 ? $wait : 0);
    my $n = sysread($st->{sock}, $st->{buf}, 8192, length($st->{buf}));
    if (!defined $n) {
      next if $! == EINTR;
      return 0 if $! == EAGAIN || $! == EWOULDBLOCK;
      return -1;
    }
    return 1 if $n == 0;
    return -1 if length($st->{buf}) > MAX_REPLY_BYTES;
    $wait = 0;
  }
}

# _parse_report(BUF): { score, minimum, is_spam, category, subcategory,
# symbols } from a REPORT reply, or undef when it is not a good one.
sub _parse_report {
  my ($buf) = @_;
  my ($head, $body) = split(/\r?\n\r?\n/, $buf, 2);
  return undef if !defined $head || $head !~ /^SPAMD\/\d+\.\d+ 0 EX_OK/;
  return undef if $head !~ /^Spam: (True|False|Yes|No) ; ([0-9.]+) \/ ([0-9.]+)\s*$/mi;
  my ($flag, $score, $minimum) = ($1, $2, $3);
  my %r = (is_spam => ($flag =~ /^(True|Yes)$/i ? 1 : 0), score => $score + 0, minimum => $minimum + 0,
           category => 'legit', subcategory => 'undefined', symbols => '');
  $body = '' if !defined $body;
  ($r{category}, $r{subcategory}) = ($1, $2) if $body =~ /^ category:\s+([\w-]+)\/([\w-]+)/m;
  $r{symbols} = $1 if $body =~ /^ symbols:\s+([A-Z0-9_,]+)/m;
  return \%r;
}

# Starts the scan request once per message (no-op when disabled or done).
sub _launch {
  my ($self, $pms) = @_;
  return if $pms->{whorl_state};
  my $conf = $pms->{conf};
  $pms->{whorl_state} = { done => 1 };   # unless a request goes out below
  return if !$conf->{use_whorl} || $self->{main}->{local_tests_only};
  my $text = $pms->{msg}->get_pristine();
  if (length($text) > $conf->{whorl_max_size}) {
    dbg('message of ' . length($text) . " bytes is above whorl_max_size; not sent");
    return;
  }
  my $sock = _request($conf, 'REPORT', '', \$text) or return;
  dbg("request sent to $conf->{whorl_server}");
  $pms->{whorl_state} = { sock => $sock, buf => '', start => time, done => 0 };
}

sub check_start {
  my ($self, $opts) = @_;
  $self->_launch($opts->{permsgstatus});
}

# _harvest(PMS, FINAL): collects the answer; FINAL waits the rest of
# whorl_timeout. When the answer is settled, pending rules get their result.
sub _harvest {
  my ($self, $pms, $final) = @_;
  my $st = $pms->{whorl_state};
  return if !$st || $st->{done};
  my $wait = 0;
  $wait = $pms->{conf}->{whorl_timeout} - (time - $st->{start}) if $final;
  $wait = 0 if $pms->{deadline_exceeded} || $pms->{shortcircuited};
  my $rc = _read_some($st, $wait);
  return if $rc == 0 && !$final;
  close($st->{sock});
  delete $st->{sock};
  $st->{done} = 1;
  if ($rc == 1) {
    $st->{result} = _parse_report($st->{buf});
    info("unexpected answer from whorld: " . substr($st->{buf}, 0, 80)) if !$st->{result};
  } else {
    info($rc < 0 ? 'reading the answer from whorld failed' : 'whorld did not answer in time');
  }
  $self->_settle($pms);
}

# Gives every rule that asked before the answer arrived its result.
sub _settle {
  my ($self, $pms) = @_;
  my $r = $pms->{whorl_state}->{result};
  if ($r) {
    dbg("score $r->{score}/$r->{minimum} category $r->{category}/$r->{subcategory} symbols $r->{symbols}");
    $pms->set_tag('WHORLSCORE', $r->{score});
    $pms->set_tag('WHORLCATEGORY', "$r->{category}/$r->{subcategory}");
  }
  foreach my $p (@{$pms->{whorl_pending} || []}) {
    my ($rule, $code) = @$p;
    if ($r && $code->($r)) {
      $pms->got_hit($rule, '', ruletype => 'eval');
    } else {
      $pms->rule_ready($rule);
    }
  }
  delete $pms->{whorl_pending};
}

sub check_tick    { my ($self, $o) = @_; $self->_harvest($o->{permsgstatus}, 0); }
sub check_cleanup { my ($self, $o) = @_; $self->_harvest($o->{permsgstatus}, 1); }

# _eval(PMS, TEST): 1/0 when the answer is in, undef (async) while waiting.
sub _eval {
  my ($self, $pms, $test) = @_;
  $self->_launch($pms);
  my $st = $pms->{whorl_state};
  return (($st->{result} && $test->($st->{result})) ? 1 : 0) if $st->{done};
  push @{$pms->{whorl_pending}}, [$pms->get_current_eval_rule_name(), $test];
  return undef;
}

# eval:check_whorl_category('NAME'): whorld says abuse, category NAME (the
# category name of etc/categories: spam, bulk, phishing, fraud, malware, virus).
sub check_whorl_category {
  my ($self, $pms, undef, $name) = @_;
  return 0 if !defined $name;
  return $self->_eval($pms, sub { $_[0]->{is_spam} && lc($_[0]->{category}) eq lc($name) });
}

# eval:check_whorl_score(MIN, MAX): MIN <= whorl score < MAX (0-100 scale).
sub check_whorl_score {
  my ($self, $pms, undef, $min, $max) = @_;
  return 0 if !defined $min || !defined $max;
  return $self->_eval($pms, sub { $_[0]->{score} >= $min && $_[0]->{score} < $max });
}

# _tell(HEADERS, TEXTREF, WANT): sends a TELL and returns 1
# when whorld's reply has WANT (e.g. "DidSet: local").
sub _tell {
  my ($self, $headers, $text, $want) = @_;
  my $conf = $self->{main}->{conf};
  return 0 if !$conf->{use_whorl};
  my $user = $self->{main}->{username} || scalar(getpwuid($<)) || 'unknown';
  $user =~ tr/\r\n//d;
  my $sock = _request($conf, 'TELL', $headers . "User: $user\r\n", $text) or return 0;
  my $st = { sock => $sock, buf => '' };
  my $deadline = time + $conf->{whorl_timeout};
  my $rc = 0;
  $rc = _read_some($st, $deadline - time) while $rc == 0 && time < $deadline;
  close($sock);
  dbg('TELL answer: ' . substr($st->{buf}, 0, 120));
  return ($rc == 1 && $st->{buf} =~ /^SPAMD\/\S+ 0 EX_OK/ && $st->{buf} =~ /^\Q$want\E/m) ? 1 : 0;
}

sub plugin_report {
  my ($self, $opts) = @_;
  my $report = $opts->{report};
  if ($self->_tell("Message-class: spam\r\nSet: local, remote\r\n", $opts->{text},
                   'DidSet: local')) {
    $report->{report_available} = $report->{report_return} = 1;
    info('reporter: spam reported to whorld');
  } else {
    info('reporter: could not report spam to whorld');
  }
}

# learn_message: with whorl_learn, what the learner is taught (sa-learn
# --spam/--ham, spamd's TELL "Set: local" from spamc -L) goes to whorld as a
# TELL with Set: local. Returns undef so Bayes' own result stands.
sub learn_message {
  my ($self, $opts) = @_;
  return undef if !$self->{main}->{conf}->{whorl_learn} || !$opts->{msg};
  my $class = $opts->{isspam} ? 'spam' : 'ham';
  my $text = $opts->{msg}->get_pristine();
  if ($self->_tell("Message-class: $class\r\nSet: local\r\n", \$text, 'DidSet: local')) {
    info("learn: $class sent to whorld");
  } else {
    info("learn: could not send $class to whorld");
  }
  return undef;
}

sub plugin_revoke {
  my ($self, $opts) = @_;
  my $revoke = $opts->{revoke};
  if ($self->_tell("Message-class: ham\r\nSet: local\r\nRemove: remote\r\n", $opts->{text},
                   'DidSet: local')) {
    $revoke->{revoke_available} = $revoke->{revoke_return} = 1;
    info('reporter: spam revoked to whorld');
  } else {
    info('reporter: could not revoke spam to whorld');
  }
}

1;
