// The page's behaviour: the form posts JSON to /rating and shows a dismissible alert; the table follows WS /kafka
// (a snapshot on every (re)connection, then updates) and reconnects with backoff when the socket drops.
'use strict'

function showAlert(id, text) {
  const alert = document.getElementById(id)
  if (text !== undefined) alert.querySelector('span').textContent = text
  alert.hidden = false
}

function formatAverage(value) {
  return String(Math.round(value * 100) / 100)
}

function rowFor(movieId) {
  const tbody = document.querySelector('#averages tbody')
  let row = tbody.querySelector(`tr[data-movie-id="${movieId}"]`)
  if (row === null) {
    row = document.createElement('tr')
    row.dataset.movieId = String(movieId)
    const th = document.createElement('th')
    th.scope = 'row'
    th.textContent = `Movie ${movieId}`
    const avg = document.createElement('td')
    avg.className = 'average'
    const count = document.createElement('td')
    count.className = 'count'
    row.append(th, avg, count)
    tbody.append(row)
  }
  return row
}

function applyAverage(message) {
  if (typeof message.movieId !== 'number' || typeof message.rating !== 'number') return
  const row = rowFor(message.movieId)
  const avg = row.querySelector('.average')
  avg.textContent = formatAverage(message.rating)
  avg.dataset.value = String(message.rating)
  if (typeof message.count === 'number') row.querySelector('.count').textContent = String(message.count)
  if (message.type === 'update') {
    // Restarting the highlight needs a frame without the class.
    row.classList.remove('updated')
    window.requestAnimationFrame(() => row.classList.add('updated'))
  }
}

function connect(attempt) {
  const status = document.getElementById('connection')
  const proto = window.location.protocol === 'https:' ? 'wss:' : 'ws:'
  const ws = new WebSocket(`${proto}//${window.location.host}/kafka`)
  ws.onopen = () => {
    attempt = 0
    status.textContent = 'Live: averages update as ratings arrive.'
  }
  ws.onmessage = (event) => {
    try {
      applyAverage(JSON.parse(event.data))
    } catch (e) {
      console.warn('bad message', e)
    }
  }
  ws.onclose = () => {
    const delay = Math.min(10000, 500 * 2 ** attempt)
    status.textContent = `Live updates interrupted; reconnecting in ${Math.round(delay / 1000)} s…`
    setTimeout(() => connect(attempt + 1), delay)
  }
}

window.addEventListener('DOMContentLoaded', () => {
  for (const button of document.querySelectorAll('.alert .close')) {
    button.addEventListener('click', () => {
      button.closest('.alert').hidden = true
      document.getElementById('rating').focus()
    })
  }
  const form = document.getElementById('myform')
  form.addEventListener('submit', async (event) => {
    event.preventDefault()
    const data = new FormData(form)
    const body = JSON.stringify({ movieId: Number(data.get('movieId')), rating: Number(data.get('rating')) })
    document.getElementById('myAlert').hidden = true
    document.getElementById('errorAlert').hidden = true
    try {
      const res = await fetch(form.action, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
      if (res.status === 202) {
        showAlert('myAlert')
      } else {
        const answer = await res.json().catch(() => ({}))
        showAlert('errorAlert', `Your rating was not saved: ${answer.message ?? res.statusText}`)
      }
    } catch {
      showAlert('errorAlert', 'Your rating was not saved: the service cannot be reached.')
    }
  })
  connect(0)
})
