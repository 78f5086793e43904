// An in-app link: a real <a href> (so middle-click and "copy link" work) that navigates through
// the History API on a plain click. Only app paths are accepted; external links use ExternalLink.
import type { ComponentChildren } from 'preact'
import { onLinkClick } from '../lib/router'
import { safeHttpUrl } from '../lib/safe-url'

export function Link(props: { href: string; class?: string; title?: string; children: ComponentChildren }) {
  const href = props.href.startsWith('/') && !props.href.startsWith('//') ? props.href : '/'
  return (
    <a href={href} class={props.class} title={props.title} onClick={(e) => onLinkClick(e, href)}>
      {props.children}
    </a>
  )
}

/** Shows an untrusted value; it becomes a link only when it is an absolute http(s) URL. */
export function ValueText(props: { value: string }) {
  const url = safeHttpUrl(props.value)
  if (!url) return <>{props.value}</>
  return (
    <a href={url} target="_blank" rel="noopener noreferrer nofollow">
      {props.value}
    </a>
  )
}
