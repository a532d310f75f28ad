"""Several notices over time: a notice's address, scope, dates and replacement; rules may replace rules.

0004 fills in the data, 0005 makes notice slugs unique once they are filled.
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("recognition", "0002_staff_groups"),
    ]

    operations = [
        migrations.AddField(
            model_name="clause",
            name="label",
            field=models.CharField(
                blank=True,
                help_text="读者引用这一条时的写法,例如 一、(二);留空则按编号和所属的一级标题自动生成。",
                max_length=40,
                verbose_name="引用编号",
            ),
        ),
        migrations.AddField(
            model_name="levelequivalence",
            name="ended_replaced",
            field=models.BooleanField(default=False, editable=False, verbose_name="已终止被取代的一条"),
        ),
        migrations.AddField(
            model_name="levelequivalence",
            name="replaced_until",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="被取代一条原来的最后适用日"),
        ),
        migrations.AddField(
            model_name="levelequivalence",
            name="replaces",
            field=models.ForeignKey(
                blank=True,
                help_text="另一份通知中被本条取代的那一条。本条发布后,那一条的最后适用日自动设为本条施行日期的前一天。",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="replaced_by",
                to="recognition.levelequivalence",
                verbose_name="取代",
            ),
        ),
        migrations.AddField(
            model_name="notice",
            name="ends_on",
            field=models.DateField(
                blank=True,
                help_text="通知废止或到期时填写,含当日;仍然有效时留空。",
                null=True,
                verbose_name="最后适用日",
            ),
        ),
        migrations.AddField(
            model_name="notice",
            name="in_force_from",
            field=models.DateField(
                blank=True,
                help_text="通知载明的施行日期。通知没有写明的留空:网站显示“自印发之日起”,按印发日期计。",
                null=True,
                verbose_name="施行日期",
            ),
        ),
        migrations.AddField(
            model_name="notice",
            name="replaces",
            field=models.ForeignKey(
                blank=True,
                help_text="本通知施行后不再适用的旧通知。",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="replaced_by",
                to="recognition.notice",
                verbose_name="替代的通知",
            ),
        ),
        migrations.AddField(
            model_name="notice",
            name="scope",
            field=models.ManyToManyField(
                blank=True,
                help_text="全国适用的通知留空;省级通知选择它适用的地区,其中的规则只在这些地区适用。",
                related_name="notices",
                to="recognition.province",
                verbose_name="适用地区",
            ),
        ),
        migrations.AddField(
            model_name="notice",
            name="slug",
            field=models.SlugField(blank=True, max_length=60, verbose_name="网址标识"),
        ),
        migrations.AddField(
            model_name="notice",
            name="status_note",
            field=models.CharField(
                blank=True,
                help_text="可选,例如“部分条款已被某通知修改”。状态本身按日期自动计算。",
                max_length=200,
                verbose_name="状态说明",
            ),
        ),
        migrations.AddField(
            model_name="recognitionrule",
            name="ended_replaced",
            field=models.BooleanField(default=False, editable=False, verbose_name="已终止被取代的一条"),
        ),
        migrations.AddField(
            model_name="recognitionrule",
            name="replaced_until",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="被取代一条原来的最后适用日"),
        ),
        migrations.AddField(
            model_name="recognitionrule",
            name="replaces",
            field=models.ForeignKey(
                blank=True,
                help_text="另一份通知中被本条取代的那一条。本条发布后,那一条的最后适用日自动设为本条施行日期的前一天。",
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="replaced_by",
                to="recognition.recognitionrule",
                verbose_name="取代",
            ),
        ),
        migrations.AlterField(
            model_name="levelequivalence",
            name="valid_from",
            field=models.DateField(help_text="本条开始适用的第一天", verbose_name="施行日期"),
        ),
        migrations.AlterField(
            model_name="levelequivalence",
            name="valid_until",
            field=models.DateField(
                blank=True,
                help_text="本条适用的最后一天(含当日);仍然有效时留空。",
                null=True,
                verbose_name="最后适用日",
            ),
        ),
        migrations.AlterField(
            model_name="notice",
            name="issued_on",
            field=models.DateField(verbose_name="印发日期"),
        ),
        migrations.AlterField(
            model_name="recognitionrule",
            name="serial",
            field=models.PositiveIntegerField(
                help_text="通知附件中的序号;通知没有附件时为本通知中规则的顺序号", verbose_name="序号"
            ),
        ),
        migrations.AlterField(
            model_name="recognitionrule",
            name="valid_from",
            field=models.DateField(help_text="本条开始适用的第一天", verbose_name="施行日期"),
        ),
        migrations.AlterField(
            model_name="recognitionrule",
            name="valid_until",
            field=models.DateField(
                blank=True,
                help_text="本条适用的最后一天(含当日);仍然有效时留空。",
                null=True,
                verbose_name="最后适用日",
            ),
        ),
    ]
