/** The words of the tenant portal's coupons, addresses and people, in Japanese and English. */
export const PORTAL_CONTRACT_WORDS = {
  // Coupons (/coupons)
  pcCoupons: { ja: 'クーポン', en: 'Coupons' },
  pcCouponsIntro: {
    ja: 'ご登録いただいたクーポンは、登録した月の翌月分のご利用料金から適用されます。',
    en: 'A coupon you register applies from the billing month after the month you register it in.',
  },
  pcNoCoupons: { ja: '登録済みのクーポンはありません。', en: 'No coupon is registered.' },
  pcCode: { ja: 'クーポンコード', en: 'Coupon code' },
  pcDiscount: { ja: '割引', en: 'Discount' },
  pcAppliesTo: { ja: '適用される対象月', en: 'Billing months it applies to' },
  pcDescription: { ja: '内容', en: 'Description' },
  pcRegisteredAt: { ja: '登録日', en: 'Registered on' },
  pcNoMonth: { ja: '（適用される月はありません）', en: '(no month)' },
  pcPercentOff: { ja: '{value}% 割引', en: '{value} % off' },
  pcAmountOff: { ja: '{value} {currency} 割引', en: '{value} {currency} off' },
  pcRegisterCoupon: { ja: 'クーポンコードの登録', en: 'Register a coupon code' },
  pcCodeHint: {
    ja: '英大文字と数字の12桁です（小文字は大文字として扱います）。',
    en: '12 capital letters and digits (lowercase letters are read as capitals).',
  },
  pcNext: { ja: '次へ', en: 'Next' },
  pcConfirmTitle: { ja: 'クーポン内容の確認', en: 'Check the coupon' },
  pcConfirmIntro: {
    ja: '以下の内容でよろしければ「登録」を押してください。',
    en: 'If this is the coupon you expect, press Register.',
  },
  pcRegister: { ja: '登録', en: 'Register' },
  pcBack: { ja: '戻る', en: 'Back' },
  pcRegisterBy: { ja: '登録期限', en: 'Register by' },
  pcRegistered: {
    ja: 'クーポン {code} を登録しました。{months} のご利用料金に適用されます。',
    en: 'The coupon {code} is registered. It applies to {months}.',
  },
  pcBadCode: {
    ja: 'クーポンコードは英大文字（A〜Z）と数字（0〜9）の12桁で入力してください。',
    en: 'A coupon code is 12 capital letters A-Z or digits 0-9.',
  },
  pcUnknownCode: {
    ja: 'クーポンコード {code} は見つかりません。入力内容をご確認ください。',
    en: 'There is no coupon with the code {code}. Check the code.',
  },
  pcAlreadyYours: {
    ja: 'クーポン {code} はすでにご登録済みです。',
    en: 'You registered the coupon {code} already.',
  },
  pcMonthsChanged: {
    ja: '確認画面を表示した後に月が替わったため、適用される月が変わりました。内容をご確認のうえ、もう一度登録してください。',
    en: 'A new month began since the confirmation: the months it applies to changed. Check them and register again.',
  },
  pcUsedCode: {
    ja: 'クーポン {code} はすでに使用されています。',
    en: 'The coupon {code} has been used already.',
  },
  pcPastRedeemBy: {
    ja: 'クーポン {code} の登録期限（{date}）を過ぎています。',
    en: 'The coupon {code} could be registered until {date} only.',
  },
  pcNoMonthLeft: {
    ja: 'クーポン {code} は、今から登録しても適用される月がありません。',
    en: 'The coupon {code} would apply to no billing month if registered now.',
  },

  // Statement addresses (/contacts)
  pcContacts: { ja: '請求書の送付先', en: 'Statement addresses' },
  pcContactsIntro: {
    ja: '毎月のご利用料金明細は、有効な送付先すべてにメールでお送りします。明細のメールは、締め日の翌日以降に明細が確定した時点の有効な送付先に宛てて作成されます。変更は次に確定する明細から反映され、確定済みの明細の送付先は変わりません。',
    en: 'Each month’s statement is mailed to every active address. The mails are made when the statement is finalized, after its cut-off day, to the addresses active then: a change here applies from the next statement finalized; a statement finalized already keeps its addresses.',
  },
  pcAddress: { ja: 'メールアドレス', en: 'Address' },
  pcContactName: { ja: '宛名', en: 'Name' },
  pcActive: { ja: '有効', en: 'Active' },
  pcInactive: { ja: '無効', en: 'Inactive' },
  pcStatus: { ja: '状態', en: 'Status' },
  pcNoContacts: { ja: '送付先が登録されていません。', en: 'No address is registered.' },
  pcNoActive: {
    ja: '有効な送付先がありません。このままでは明細のメールがどなたにも届きません。',
    en: 'No address is active: statement mails would reach nobody.',
  },
  pcAddContact: { ja: '送付先の追加', en: 'Add an address' },
  pcAdd: { ja: '追加', en: 'Add' },
  pcDeactivate: { ja: '無効にする', en: 'Deactivate' },
  pcReactivate: { ja: '有効にする', en: 'Reactivate' },
  pcBadAddress: {
    ja: '{value} はメールアドレスとして正しくありません。',
    en: '{value} is not an e-mail address.',
  },
  pcBadName: {
    ja: '宛名は改行を含まない128文字以内で入力してください。',
    en: 'The name must be one line of at most 128 characters.',
  },
  pcContactExists: {
    ja: '{value} はすでに送付先に登録されています。',
    en: '{value} is a statement address already.',
  },
  pcContactExistsInactive: {
    ja: '{value} は無効の送付先として登録されています。一覧から有効にしてください。',
    en: '{value} is registered already, inactive: reactivate it in the list.',
  },
  pcContactAdded: { ja: '送付先 {value} を追加しました。', en: 'The address {value} is added.' },
  pcContactDeactivated: { ja: '送付先 {value} を無効にしました。', en: 'The address {value} is deactivated.' },
  pcContactReactivated: { ja: '送付先 {value} を有効にしました。', en: 'The address {value} is active again.' },
  pcLastActiveTitle: { ja: '最後の有効な送付先です', en: 'This is the last active address' },
  pcLastActive: {
    ja: '{value} を無効にすると有効な送付先がなくなり、次に確定する明細のメールはどなたにも送られません。それでも無効にしますか。',
    en: 'Without {value} no address is active: the next statement finalized would be mailed to nobody. Deactivate it anyway?',
  },
  pcDeactivateAnyway: { ja: '無効にする', en: 'Deactivate anyway' },

  // People (/people)
  pcPeople: { ja: 'ユーザー管理', en: 'People' },
  pcPeopleIntro: {
    ja: 'このポータルにサインインできる方の一覧です。管理者は料金の履歴と明細を閲覧できます。',
    en: 'The people who sign in to this portal. An admin sees the billing history and the statements.',
  },
  pcName: { ja: '氏名', en: 'Name' },
  pcRole: { ja: '権限', en: 'Role' },
  pcOwner: { ja: '契約者', en: 'Owner' },
  pcAdmin: { ja: '管理者', en: 'Admin' },
  pcSince: { ja: '登録日', en: 'Since' },
  pcDisabled: { ja: '無効', en: 'Disabled' },
  pcEnabled: { ja: '有効', en: 'Active' },
  pcYou: { ja: '（ご本人）', en: '(you)' },
  pcInvite: { ja: '管理者の招待', en: 'Invite an admin' },
  pcInviteHint: {
    ja: '招待した方には、サインイン用のリンク（15分間有効）をメールでお送りします。',
    en: 'The person gets a sign-in link by e-mail (it works for 15 minutes).',
  },
  pcSendInvite: { ja: '招待する', en: 'Invite' },
  pcDisable: { ja: '無効にする', en: 'Disable' },
  pcInviteNotMailed: {
    ja: '{value} を管理者として追加しましたが、サインイン用リンクのメールを送信できませんでした。サインイン画面の「リンクを送信」からリンクを受け取るようお伝えください。',
    en: '{value} is added as an admin, but the mail with their sign-in link could not be sent. Ask them to get a link with "Send the link" on the sign-in page.',
  },
  pcInvited: {
    ja: '{value} を管理者として登録し、サインイン用のリンクをお送りしました。',
    en: '{value} is an admin now; a sign-in link is on its way to them.',
  },
  pcPersonDisabled: {
    ja: '{value} を無効にしました。今後はサインインできません。',
    en: '{value} is disabled and can no longer sign in.',
  },
  pcPersonElsewhere: {
    ja: '{value} はすでに別のアカウントで利用されているため、招待できません。',
    en: '{value} is a person of another account already and cannot be invited.',
  },
  pcPersonHere: {
    ja: '{value} はすでにこのアカウントのユーザーです。',
    en: '{value} is one of your people already.',
  },
  pcPersonNameBad: {
    ja: '氏名は改行を含まない100文字以内で入力してください。',
    en: 'The name must be one line of at most 100 characters.',
  },
  pcNotYourself: { ja: 'ご自身を無効にすることはできません。', en: 'You cannot disable yourself.' },
  pcNotOwner: {
    ja: '契約者は無効にできません。',
    en: 'An owner cannot be disabled here.',
  },
  pcAlreadyDisabled: { ja: '{value} はすでに無効です。', en: '{value} is disabled already.' },
} as const;
