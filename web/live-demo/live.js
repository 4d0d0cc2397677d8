// The live transcription page: the microphone, through an AudioWorklet that
// turns it into 16 kHz 16-bit PCM (pcm-worklet.js), to the API's live socket.
'use strict';
(function () {
  var form = document.getElementById('start');
  var stopButton = document.getElementById('stop');
  var statusLine = document.getElementById('status');
  var finals = document.getElementById('finals');
  var partial = document.getElementById('partial');
  var session = null;

  function say(text) {
    statusLine.textContent = text;
  }

  async function start(token) {
    var media = await navigator.mediaDevices.getUserMedia({ audio: { channelCount: 1, echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
    var audio = new AudioContext();
    await audio.audioWorklet.addModule('/demo/live/assets/pcm-worklet.js');
    var source = audio.createMediaStreamSource(media);
    var pcm = new AudioWorkletNode(audio, 'pcm16', { processorOptions: { targetRate: 16000 } });
    var scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    var ws = new WebSocket(scheme + '://' + location.host + '/v1/modules/scaiecho/stream/transcribe?access_token=' + encodeURIComponent(token));
    ws.binaryType = 'arraybuffer';
    session = { ws: ws, media: media, audio: audio };
    ws.onopen = function () {
      ws.send(JSON.stringify({ type: 'open', language: 'en', sample_rate: 16000 }));
    };
    ws.onmessage = function (event) {
      var frame = JSON.parse(event.data);
      if (frame.type === 'ready') {
        say('listening (backend ' + frame.backend_used + ')');
        pcm.port.onmessage = function (e) {
          if (ws.readyState === WebSocket.OPEN) ws.send(e.data);
        };
        source.connect(pcm);
      } else if (frame.type === 'delta') {
        if (frame.is_final) {
          finals.textContent = (finals.textContent + ' ' + frame.text).trim();
          partial.textContent = '';
        } else {
          partial.textContent = frame.text;
        }
      } else if (frame.type === 'closed') {
        say('stopped: ' + Math.round(frame.audio_ms / 1000) + ' s streamed');
      } else if (frame.type === 'error') {
        say('error: ' + frame.message);
      }
    };
    ws.onclose = function (event) {
      if (event.code !== 1000) say('closed (' + event.code + ') ' + event.reason);
      stop(false);
    };
  }

  function stop(tell) {
    if (!session) return;
    if (tell && session.ws.readyState === WebSocket.OPEN) session.ws.send(JSON.stringify({ type: 'close' }));
    session.media.getTracks().forEach(function (t) { t.stop(); });
    session.audio.close();
    session = null;
    stopButton.disabled = true;
    document.getElementById('go').disabled = false;
  }

  form.addEventListener('submit', function (event) {
    event.preventDefault();
    document.getElementById('go').disabled = true;
    stopButton.disabled = false;
    say('connecting');
    start(document.getElementById('token').value).catch(function (err) {
      say('error: ' + err.message);
      stop(false);
    });
  });
  stopButton.addEventListener('click', function () {
    stop(true);
  });
})();
