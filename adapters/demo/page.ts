import type { InteractionRef } from '../../src/core/adapter.js';
import { html, page } from '../../src/interaction/views/html.js';

export function renderDemoPage(interaction: InteractionRef, action: string): string {
  const ja = interaction.locale === 'ja';
  return page(
    interaction.locale,
    ja ? 'デモ用ログイン' : 'Demo sign-in',
    html`<h1>${ja ? 'デモ用ログイン' : 'Demo sign-in'}</h1>
<p>${ja ? '架橋 花子（テスト用の架空の人物）としてログインします。' : 'You will sign in as Hanako Kakehashi, a fictional test person.'}</p>
<form method="post" action="${action}"><input type="hidden" name="uid" value="${interaction.uid}">
<button class="primary" type="submit" id="demo-login">${ja ? 'ログイン' : 'Sign in'}</button></form>`,
  );
}
